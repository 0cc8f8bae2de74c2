using System.Net;
using System.Net.Sockets;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary><c>chorus serve</c> as a process: routes, exit codes, signals.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_AnswersMetricsHealthzLandingPageAnd404Elsewhere()
    {
        using var dir = new TempDirectory("serve");
        await PythonWriters.RunToCompletionAsync(dir.Path, workers: 1, iterations: 3);
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);

        using HttpResponseMessage metrics = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        using HttpResponseMessage head = await client.SendAsync(ScrapeClient.Request(HttpMethod.Head, "/metrics"));
        using HttpResponseMessage healthz = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        using HttpResponseMessage root = await client.GetAsync(new Uri("/", UriKind.Relative));
        using HttpResponseMessage other = await client.GetAsync(new Uri("/favicon.ico", UriKind.Relative));
        string body = await metrics.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(3, ExpositionSamples.Parse(body)["serve_test_jobs_total{worker=\"1\"}"]);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task Serve_NegotiatesFormatAndGzipLikeTheEndpoint()
    {
        using var dir = new TempDirectory("serve");
        await PythonWriters.RunToCompletionAsync(dir.Path, workers: 1, iterations: 2);

        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);
        (string? Accept, string? Encoding, string MediaType)[] cases =
        [
            (ScrapeClient.PrometheusAccept, "gzip", "application/openmetrics-text"),
            (ScrapeClient.PrometheusAccept, null, "application/openmetrics-text"),
            ("application/openmetrics-text", null, "application/openmetrics-text"),
            ("text/plain", "gzip", "text/plain"),
            ("*/*", null, "text/plain"),
            ("garbage;;;", null, "text/plain"),
            (null, null, "text/plain"),
        ];

        foreach ((string? accept, string? encoding, string mediaType) in cases)
        {
            using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", accept, encoding));
            byte[] wire = await response.Content.ReadAsByteArrayAsync();
            string body = encoding is null ? System.Text.Encoding.UTF8.GetString(wire) : ScrapeClient.Gunzip(wire);

            Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(encoding is null ? [] : ["gzip"], response.Content.Headers.ContentEncoding);
            Assert.Equal(mediaType == "text/plain" ? "0.0.4" : "1.0.0", response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "version").Value);
            Assert.Equal(mediaType != "text/plain", body.EndsWith("# EOF\n", StringComparison.Ordinal));
            Assert.Equal(2, ExpositionSamples.Sum(ExpositionSamples.Parse(body.Replace("# EOF\n", "", StringComparison.Ordinal)), "serve_test_jobs_total"));
        }
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Serve_StopsCleanlyOnSignal(string signal)
    {
        using var dir = new TempDirectory("serve");
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);
        using HttpResponseMessage before = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        int exitCode = await serve.TerminateAsync(signal);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.True(exitCode == 0, $"exit code {exitCode}; stderr: {serve.StandardError}");
    }

    [Fact]
    public async Task Serve_PortInUse_Exits1AndSaysSo()
    {
        using var dir = new TempDirectory("serve");
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        int port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        (int exitCode, _, string stderr) = await ChorusCli.RunAsync("serve", "--dir", dir.Path, "--listen", $"127.0.0.1:{port}");

        Assert.Equal(1, exitCode);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_MissingDirectory_Exits1AndSaysSo()
    {
        using var dir = new TempDirectory("serve");
        string missing = dir.File("nope");

        (int exitCode, _, string stderr) = await ChorusCli.RunAsync("serve", "--dir", missing, "--listen", "127.0.0.1:0");

        Assert.Equal(1, exitCode);
        Assert.Contains($"directory {missing} does not exist", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--listen", "nope")]
    [InlineData("--listen", "127.0.0.1:99999")]
    [InlineData("--compact-every", "5x")]
    [InlineData("--all-retention", "24h")]
    [InlineData("--no-such-flag", "1")]
    [InlineData("--web.telemetry-path", "metrics")]
    [InlineData("--web.telemetry-path", "/")]
    [InlineData("--web.telemetry-path", "/healthz")]
    [InlineData("--web.max-requests", "-1")]
    [InlineData("--web.max-connections", "many")]
    public async Task Serve_UsageErrors_Exit2(string flag, string value)
    {
        using var dir = new TempDirectory("serve");

        (int exitCode, _, string stderr) = await ChorusCli.RunAsync("serve", "--dir", dir.Path, flag, value);

        Assert.Equal(2, exitCode);
        Assert.NotEmpty(stderr);
    }

    [Fact]
    public async Task Serve_BadWebConfig_Exits1AndNamesTheSetting()
    {
        using var dir = new TempDirectory("serve");
        string config = dir.File("web.yml");
        await File.WriteAllTextAsync(config, "basic_auth_user:\n  alice: $2y$10$abc\n");

        (int exitCode, _, string stderr) = await ChorusCli.RunAsync("serve", "--dir", dir.Path, "--listen", "127.0.0.1:0", "--web.config.file", config);

        Assert.Equal(1, exitCode);
        Assert.Contains("unsupported setting 'basic_auth_user'", stderr, StringComparison.Ordinal);
    }
}
