using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// <c>chorus serve</c> the way operators run exporters: exporter-toolkit flag names, systemd socket activation and a
/// landing page at <c>/</c>.
/// </summary>
public sealed partial class ServeOperatorConventionsTests
{
    [Fact]
    public async Task Serve_ExporterToolkitListenAddressAndTelemetryPath_AreAcceptedBesideOurFlags()
    {
        using var dir = new TempDirectory("serve");
        await PythonWriters.RunToCompletionAsync(dir.Path, workers: 1, iterations: 4);
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(ChorusCli.Start(
            ["serve", "--dir", dir.Path, "--web.listen-address", "127.0.0.1:0", "--web.telemetry-path", "/custom/metrics"]));
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);

        using HttpResponseMessage custom = await client.GetAsync(new Uri("/custom/metrics", UriKind.Relative));
        using HttpResponseMessage usual = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        string landing = await client.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Equal("/custom/metrics", serve.MetricsUrl.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, custom.StatusCode);
        Assert.Equal(4, ExpositionSamples.Parse(await custom.Content.ReadAsStringAsync())["serve_test_jobs_total{worker=\"1\"}"]);
        Assert.Equal(HttpStatusCode.NotFound, usual.StatusCode);
        Assert.Contains("<a href=\"/custom/metrics\">", landing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ListenAndWebListenAddress_AreOneOption()
    {
        using var dir = new TempDirectory("serve");

        (int exitCode, _, string stderr) = await ChorusCli.RunAsync("serve", "--dir", dir.Path, "--web.listen-address", "nope");

        Assert.Equal(2, exitCode);
        Assert.Contains("--listen: 'nope' has no port", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_SystemdSocket_ServesOnTheSocketPassedAsDescriptor3()
    {
        using var dir = new TempDirectory("serve");
        await PythonWriters.RunToCompletionAsync(dir.Path, workers: 1, iterations: 5);
        ChildProcess launcher = PythonPeer.Start(
            [RepoPaths.PythonScript("systemd_socket_launcher.py"), .. ChorusCli.CommandLine(["serve", "--dir", dir.Path, "--web.systemd-socket"])]);
        string portLine = await launcher.WaitForLineAsync(l => l.StartsWith("port ", StringComparison.Ordinal), "naming the passed socket's port", TimeSpan.FromSeconds(30));
        int port = int.Parse(portLine["port ".Length..], CultureInfo.InvariantCulture);
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(launcher);
        using HttpClient client = ScrapeClient.Create(new Uri($"http://127.0.0.1:{port}/"));

        string metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        int exitCode = await serve.TerminateAsync();

        Assert.Equal(port, serve.MetricsUrl.Port);
        Assert.Equal(5, ExpositionSamples.Parse(metrics)["serve_test_jobs_total{worker=\"1\"}"]);
        Assert.Equal(0, exitCode);
    }

    [Theory]
    [InlineData(null, null, "LISTEN_PID and LISTEN_FDS are not set")]
    [InlineData("1", "1", "not this one")]
    public async Task Serve_SystemdSocketWithoutASocketForIt_Exits1AndSaysWhy(string? listenPid, string? listenFds, string expected)
    {
        using var dir = new TempDirectory("serve");
        var environment = new Dictionary<string, string?> { ["LISTEN_PID"] = listenPid, ["LISTEN_FDS"] = listenFds };

        (int exitCode, _, string stderr) = await ChorusCli.RunWithEnvironmentAsync(environment, "serve", "--dir", dir.Path, "--web.systemd-socket");

        Assert.Equal(1, exitCode);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_LandingPage_NamesVersionLinksDirectoryFilesAndLiveWriters()
    {
        using var dir = new TempDirectory("serve");
        await PythonWriters.RunToCompletionAsync(dir.Path, workers: 1, iterations: 2);
        using PythonWriters running = PythonWriters.Start(dir.Path, workers: 2, iterations: 100_000, sleepMs: 50);
        await WaitForFilesAsync(dir.Path, 9); // counter, histogram and livesum gauge of three writers
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);

        using HttpResponseMessage page = await client.GetAsync(new Uri("/", UriKind.Relative));
        using HttpResponseMessage head = await client.SendAsync(ScrapeClient.Request(HttpMethod.Head, "/"));
        string html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Chorus exporter</title>", html, StringComparison.Ordinal);
        Assert.Matches(@"<td>Version</td><td>\d+\.\d+\.\d+", html);
        Assert.Contains("<a href=\"/metrics\">", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/healthz\">", html, StringComparison.Ordinal);
        Assert.Contains($"<code>{WebUtility.HtmlEncode(dir.Path)}</code>", html, StringComparison.Ordinal);
        Assert.Equal("9", Cell(html, "Files"));
        Assert.Equal("2", Cell(html, "Live writers"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    private static string Cell(string html, string name)
    {
        Match row = Regex.Match(html, $"<tr><td>{Regex.Escape(name)}</td><td>([^<]*)</td></tr>");
        Assert.True(row.Success, $"no '{name}' row in:\n{html}");
        return row.Groups[1].Value;
    }

    private static async Task WaitForFilesAsync(string directory, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (TempDirectory.DbFileNames(directory).Count < count)
        {
            await Task.Delay(50, deadline.Token);
        }
    }
}
