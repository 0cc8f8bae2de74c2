using System.Net;
using System.Text;
using Chorus.AspNetCore.Http;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary><c>MapChorusMetrics</c> in a real Kestrel application on loopback: negotiation, gzip, HEAD, limits, self-metrics.</summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class MetricsEndpointKestrelTests
{
    public static TheoryData<string?, string> NegotiationMatrix => new()
    {
        { ScrapeClient.PrometheusAccept, ExpositionContentTypes.OpenMetrics },
        {
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
        },
        { "text/plain;version=1.0.0;escaping=allow-utf-8", "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8" },
        { "text/plain", ExpositionContentTypes.PrometheusText },
        { "text/plain;version=0.0.4", ExpositionContentTypes.PrometheusText },
        { "application/openmetrics-text", ExpositionContentTypes.OpenMetrics },
        { "application/openmetrics-text;version=1.0.0", ExpositionContentTypes.OpenMetrics },
        { "application/openmetrics-text;version=9.9.9", ExpositionContentTypes.PrometheusText },
        { "application/openmetrics-text;q=0.2,text/plain;q=0.9", ExpositionContentTypes.PrometheusText },
        { "text/plain;q=0,application/openmetrics-text;q=0.1", ExpositionContentTypes.OpenMetrics },
        { "*/*", ExpositionContentTypes.PrometheusText },
        { "application/json", ExpositionContentTypes.PrometheusText },
        { "garbage;;;===,,", ExpositionContentTypes.PrometheusText },
        { null, ExpositionContentTypes.PrometheusText },
    };

    [Theory]
    [MemberData(nameof(NegotiationMatrix))]
    public async Task Get_NegotiatesFormatFromAcceptHeader(string? accept, string expectedContentType)
    {
        var source = new FixedScrapeSource();
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(source);
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", accept));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Normalize(expectedContentType), Normalize(response.Content.Headers.ContentType?.ToString()));
        if (expectedContentType.StartsWith("application/openmetrics-text", StringComparison.Ordinal))
        {
            Assert.StartsWith("# TYPE app_requests counter\n", body, StringComparison.Ordinal);
            Assert.EndsWith("\n# EOF\n", body, StringComparison.Ordinal);
            Assert.Equal(1, CountOccurrences(body, "# EOF"));
        }
        else
        {
            Assert.StartsWith(FixedScrapeSource.Text, body, StringComparison.Ordinal);
            Assert.DoesNotContain("# EOF", body, StringComparison.Ordinal);
        }

        Assert.Contains("\nchorus_scrape_duration_seconds ", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("gzip, deflate, br", true)]
    [InlineData("*", true)]
    [InlineData("identity", false)]
    [InlineData("gzip;q=0", false)]
    [InlineData("*, gzip;q=0", false)]
    [InlineData(null, false)]
    public async Task Get_CompressesOnlyWhenAcceptEncodingAllowsGzip(string? acceptEncoding, bool expectGzip)
    {
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(new FixedScrapeSource());
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", "text/plain", acceptEncoding));
        byte[] wire = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(wire.Length, response.Content.Headers.ContentLength);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        if (expectGzip)
        {
            Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
            Assert.StartsWith(FixedScrapeSource.Text, ScrapeClient.Gunzip(wire), StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(response.Content.Headers.ContentEncoding);
            Assert.StartsWith(FixedScrapeSource.Text, Encoding.UTF8.GetString(wire), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Get_DoesNotCompressWhenGzipIsDisabled()
    {
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(new FixedScrapeSource(), options => options.EnableGzip = false);
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", null, "gzip"));

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.StartsWith(FixedScrapeSource.Text, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("gzip")]
    public async Task Head_SendsTheGetHeadersWithoutABody(string? acceptEncoding)
    {
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(new FixedScrapeSource(), options => options.IncludeSelfMetrics = false);
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        using HttpResponseMessage get = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", ScrapeClient.PrometheusAccept, acceptEncoding));
        byte[] getBody = await get.Content.ReadAsByteArrayAsync();
        using HttpResponseMessage head = await client.SendAsync(ScrapeClient.Request(HttpMethod.Head, "/metrics", ScrapeClient.PrometheusAccept, acceptEncoding));
        byte[] headBody = await head.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(headBody);
        Assert.Equal(getBody.Length, head.Content.Headers.ContentLength);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Equal(get.Content.Headers.ContentEncoding, head.Content.Headers.ContentEncoding);
    }

    [Fact]
    public async Task Get_OtherPathsAndMethodsAreNotServed()
    {
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(new FixedScrapeSource());
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        using HttpResponseMessage other = await client.GetAsync(new Uri("/metrics/extra", UriKind.Relative));
        using HttpResponseMessage post = await client.PostAsync(new Uri("/metrics", UriKind.Relative), new StringContent(""));

        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [Fact]
    public async Task Get_LargerThanTheMaximumAnswers500WithTheReason()
    {
        string big = "# TYPE big gauge\n" + string.Concat(Enumerable.Range(0, 400).Select(i => $"big{{i=\"{i}\"}} {i}\n"));
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(new FixedScrapeSource(big, big + "# EOF\n"), options => options.MaxResponseBytes = 4096);
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        using HttpResponseMessage response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("maximum response size of 4096 bytes", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/plain", "# HELP chorus_scrape_duration_seconds Mine.\n# TYPE chorus_scrape_duration_seconds gauge\nchorus_scrape_duration_seconds 7\n")]
    [InlineData("application/openmetrics-text", "# TYPE chorus_scrape_duration_seconds gauge\nchorus_scrape_duration_seconds 7\n# EOF\n")]
    public async Task Get_ApplicationFamilyNamedLikeASelfMetricWins(string accept, string appData)
    {
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(new FixedScrapeSource(appData, appData));
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", accept));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(appData, body);
    }

    [Fact]
    public async Task Get_SelfMetricsCanBeTurnedOff()
    {
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(new FixedScrapeSource(), options => options.IncludeSelfMetrics = false);
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        Assert.Equal(FixedScrapeSource.Text, await ScrapeClient.GetMetricsTextAsync(client));
    }

    [Fact]
    public async Task Get_ConcurrentScrapesShareOneCollection()
    {
        using var source = new GatedScrapeSource();
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(source, options => options.IncludeSelfMetrics = false);
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        Task<HttpResponseMessage> first = client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.True(await source.WaitForCollectionAsync(TimeSpan.FromSeconds(10)));
        Task<HttpResponseMessage>[] joiners = Enumerable.Range(0, 4)
            .Select(i => client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", "text/plain", i % 2 == 0 ? "gzip" : null)))
            .ToArray();

        // The joiners reach the endpoint while the first collection is held open; give them a generous moment.
        await Task.Delay(TimeSpan.FromSeconds(1));
        source.Open();
        HttpResponseMessage[] responses = await Task.WhenAll([first, .. joiners]);
        string[] bodies = await Task.WhenAll(responses.Select(ScrapeClient.ReadBodyAsync));
        using HttpResponseMessage later = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(bodies, body => Assert.Equal("# TYPE collection gauge\ncollection 1\n", body));
        Assert.Equal("# TYPE collection gauge\ncollection 2\n", await later.Content.ReadAsStringAsync());
        Assert.Equal(2, source.Collections);
        foreach (HttpResponseMessage response in responses)
        {
            response.Dispose();
        }
    }

    private static string Normalize(string? contentType) =>
        (contentType ?? "").Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
