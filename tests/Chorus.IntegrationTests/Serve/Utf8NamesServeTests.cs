using System.Net;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// A directory with the UTF-8 names prometheus_client 0.22 and later write (its keys, built byte for byte by
/// <see cref="DbFileBuilder"/>: 0.22 is not installable here), read through the real <c>chorus scrape</c> and
/// <c>chorus serve</c>: quoted for a scraper that asks for <c>escaping=allow-utf-8</c>, escaped to classic names for
/// everyone else, including the Prometheus server installed here (2.42, which knows no UTF-8 names).
/// </summary>
public sealed class Utf8NamesServeTests
{
    private const string PrometheusThreeAccept =
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4," +
        "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

    [Fact]
    public void ChorusScrape_PrintsClassicNamesThatPromtoolAccepts()
    {
        using var dir = new TempDirectory("utf8");
        Utf8NameDirectory.Write(dir);

        var (exitCode, stdout, stderr) = ChorusCli.Run("scrape", "--dir", dir.Path);
        var (omExitCode, openMetrics, _) = ChorusCli.Run("scrape", "--dir", dir.Path, "--format", "openmetrics");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("# TYPE my_requests_total counter\nmy_requests_total{http_method=\"GET\"} 5.0\n", stdout, StringComparison.Ordinal);
        Assert.Contains("http_server_duration_count{service_name=\"api\"} 3.0\n", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("{\"", stdout, StringComparison.Ordinal);
        Promtool.AssertValid(stdout);
        Assert.Equal(0, omExitCode);
        Assert.Contains("# TYPE my_requests counter\nmy_requests_total{http_method=\"GET\"} 5.0\n", openMetrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_QuotesForAllowUtf8_AndEscapesForEveryOtherAccept()
    {
        using var dir = new TempDirectory("utf8");
        Utf8NameDirectory.Write(dir);
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);

        (string ContentType, string Body) prometheus3 = await GetAsync(client, PrometheusThreeAccept);
        (string ContentType, string Body) text1 = await GetAsync(client, "text/plain;version=1.0.0;escaping=allow-utf-8");
        (string ContentType, string Body) prometheus2 = await GetAsync(client, ScrapeClient.PrometheusAccept);
        (string ContentType, string Body) dots = await GetAsync(client, "text/plain;version=1.0.0;escaping=dots");
        (string ContentType, string Body) plain = await GetAsync(client, null);

        Assert.Equal("application/openmetrics-text;version=1.0.0;charset=utf-8;escaping=allow-utf-8", prometheus3.ContentType);
        Assert.Contains("# TYPE \"my.requests\" counter\n{\"my.requests_total\",\"http.method\"=\"GET\"} 5.0\n", prometheus3.Body, StringComparison.Ordinal);
        Assert.EndsWith("# EOF\n", prometheus3.Body, StringComparison.Ordinal);
        Assert.Equal("text/plain;version=1.0.0;charset=utf-8;escaping=allow-utf-8", text1.ContentType);
        Assert.Contains("{\"http.server.duration_bucket\",le=\"+Inf\",\"service.name\"=\"api\"} 3.0\n", text1.Body, StringComparison.Ordinal);
        Assert.Equal("application/openmetrics-text;version=1.0.0;charset=utf-8;escaping=underscores", prometheus2.ContentType);
        Assert.Contains("my_requests_total{http_method=\"GET\"} 5.0\n", prometheus2.Body, StringComparison.Ordinal);
        Assert.Equal("text/plain;version=1.0.0;charset=utf-8;escaping=dots", dots.ContentType);
        Assert.Contains("my_dot_requests_total{http_dot_method=\"GET\"} 5.0\n", dots.Body, StringComparison.Ordinal);
        Assert.Equal("text/plain;version=0.0.4;charset=utf-8", plain.ContentType);
        Assert.DoesNotContain("{\"", plain.Body, StringComparison.Ordinal);
        Promtool.AssertValid(plain.Body);
    }

    [Fact]
    public async Task Prometheus_ScrapingUtf8Names_StoresThemEscaped()
    {
        using var dir = new TempDirectory("utf8");
        Utf8NameDirectory.Write(dir);
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using PrometheusServer prometheus = await PrometheusServer.StartAsync(serve.MetricsUrl);

        TimeSpan wait = TimeSpan.FromSeconds(30);
        double? requests = await prometheus.WaitForValueAsync("sum(my_requests_total{http_method=\"GET\"})", 5, wait);
        double? count = await prometheus.WaitForValueAsync("sum(http_server_duration_count{service_name=\"api\"})", 3, wait);
        double? gauge = await prometheus.WaitForValueAsync("sum(temp_rature{room_name=\"küche\"})", 21.5, wait);
        double? up = await prometheus.QueryScalarAsync("up{job=\"chorus\"}");

        Assert.Equal(5, requests);
        Assert.Equal(3, count);
        Assert.Equal(21.5, gauge);
        Assert.Equal(1, up);
    }

    private static async Task<(string ContentType, string Body)> GetAsync(HttpClient client, string? accept)
    {
        using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", accept));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Compared without spaces: HttpClient re-spells the header it parsed.
        return ((response.Content.Headers.ContentType?.ToString() ?? "").Replace(" ", "", StringComparison.Ordinal), await response.Content.ReadAsStringAsync());
    }
}
