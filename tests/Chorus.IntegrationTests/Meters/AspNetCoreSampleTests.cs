using System.Globalization;
using Chorus.IntegrationTests.Serve;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Meters;

/// <summary>
/// Two real Kestrel processes of <c>samples/aspnetcore-app</c> on one multiprocess directory, real HTTP
/// requests: ASP.NET Core's own metrics, recorded through the bridge, merged by either process and by
/// <c>chorus scrape</c>; and a real Prometheus server answering the .NET dashboards' queries.
/// </summary>
public sealed class AspNetCoreSampleTests : IDisposable
{
    private const string HelloCount = "http_server_request_duration_seconds_count";

    // ASP.NET Core's InstrumentAdvice for http.server.request.duration, as the text format spells them.
    private static readonly string[] s_advisedLe =
        ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "5.0", "7.5", "10.0", "+Inf"];

    private readonly TempDirectory _dir = new("aspnetcore");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task TwoProcesses_MergeRequestCounts_UseTheAdvisedBuckets_AndLeaveOnlyCountersWhenStopped()
    {
        using SampleApp first = await SampleApp.StartAsync(_dir.Path);
        using SampleApp second = await SampleApp.StartAsync(_dir.Path);
        const int toFirst = 7, toSecond = 5;
        await first.GetHelloAsync(toFirst);
        await second.GetHelloAsync(toSecond);

        // The request's duration is recorded as the response completes, so the last one may land a moment later.
        Dictionary<string, double> viaFirst = await WaitForHelloCountAsync(() => first.ScrapeAsync(), toFirst + toSecond);
        Dictionary<string, double> viaSecond = await WaitForHelloCountAsync(() => second.ScrapeAsync(), toFirst + toSecond);
        Dictionary<string, double> viaCli = await WaitForHelloCountAsync(CliScrapeAsync, toFirst + toSecond);
        Assert.Equal(toFirst + toSecond, HelloRequests(viaFirst));
        Assert.Equal(toFirst + toSecond, HelloRequests(viaSecond));
        Assert.Equal(toFirst + toSecond, HelloRequests(viaCli));

        string merged = await first.ScrapeTextAsync();
        PromtoolCheck lint = await Promtool.CheckMetricsAsync(merged);
        Assert.True(lint.ExitCode == 0, lint.Describe());
        List<ParsedFamily> families = ExpositionParser.Parse(merged);
        ParsedFamily duration = families.Single(f => f.Name == "http_server_request_duration_seconds");
        Assert.Equal("histogram", duration.Type);
        ParsedSample helloCount = duration.Samples.First(s => s.Name == HelloCount && s.Labels.GetValueOrDefault("http_route") == "/hello");
        Assert.Equal(["http_request_method", "http_response_status_code", "http_route", "network_protocol_version", "url_scheme"], helloCount.Labels.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(s_advisedLe, duration.Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal) && s.Labels["http_route"] == "/hello")
            .Select(s => s.Labels["le"]).Distinct());
        Assert.Equal("gauge", families.Single(f => f.Name == "kestrel_active_connections").Type);
        Assert.Contains(viaCli.Keys, k => k.StartsWith("kestrel_active_connections{", StringComparison.Ordinal));
        Assert.Contains(viaCli.Keys, k => k.StartsWith("http_server_active_requests{", StringComparison.Ordinal));
        Assert.Equal(2, viaCli.Keys.Count(k => k.StartsWith("process_resident_memory_bytes{", StringComparison.Ordinal)));
        Assert.Equal(2, viaCli.Keys.Count(k => k.StartsWith("process_start_time_seconds{", StringComparison.Ordinal)));

        first.Stop();
        second.Stop();
        (await ChorusCli.RunAsync("compact", "--dir", _dir.Path)).EnsureSuccess();
        Dictionary<string, double> stopped = await CliScrapeAsync();
        Assert.DoesNotContain(stopped.Keys, k => k.StartsWith("kestrel_active_connections{", StringComparison.Ordinal));
        Assert.DoesNotContain(stopped.Keys, k => k.StartsWith("http_server_active_requests{", StringComparison.Ordinal));
        Assert.DoesNotContain(stopped.Keys, k => k.StartsWith("process_resident_memory_bytes{", StringComparison.Ordinal));
        Assert.DoesNotContain(stopped.Keys, k => k.StartsWith("process_open_fds{", StringComparison.Ordinal));
        Assert.Equal(toFirst + toSecond, HelloRequests(stopped));
    }

    [Fact]
    public async Task Prometheus_AnswersTheDashboardQueries()
    {
        using SampleApp app = await SampleApp.StartAsync(_dir.Path);
        using PrometheusServer prometheus = await PrometheusServer.StartAsync(app.BaseAddress);
        double? p95 = null;
        double? connections = null;
        double? rate = null;
        for (int round = 0; round < 40 && (p95 is null || connections is null || rate is null); round++)
        {
            await app.GetHelloAsync(5);
            await Task.Delay(500);
            p95 = await prometheus.QueryScalarAsync("histogram_quantile(0.95, sum(rate(http_server_request_duration_seconds_bucket[1m])) by (le))");
            connections = await prometheus.QueryScalarAsync("sum(kestrel_active_connections)");
            rate = await prometheus.QueryScalarAsync("sum(rate(http_server_request_duration_seconds_count{http_route=\"/hello\"}[1m]))");
        }

        Assert.NotNull(p95);
        Assert.InRange(p95!.Value, 0, 10);
        Assert.NotNull(connections);
        Assert.True(rate > 0, $"rate {rate}");
    }

    private static double HelloRequests(Dictionary<string, double> samples) =>
        samples.Where(p => p.Key.StartsWith(HelloCount + "{", StringComparison.Ordinal) && p.Key.Contains("http_route=\"/hello\"", StringComparison.Ordinal)).Sum(p => p.Value);

    private static async Task<Dictionary<string, double>> WaitForHelloCountAsync(Func<Task<Dictionary<string, double>>> scrape, double expected)
    {
        Dictionary<string, double> samples = await scrape();
        for (int attempt = 0; attempt < 50 && HelloRequests(samples) != expected; attempt++)
        {
            await Task.Delay(100);
            samples = await scrape();
        }

        return samples;
    }

    private async Task<Dictionary<string, double>> CliScrapeAsync() =>
        ToSamples((await ChorusCli.ScrapeAsync(_dir.Path)).EnsureSuccess().Stdout);

    private static Dictionary<string, double> ToSamples(string exposition) =>
        ExpositionParser.Parse(exposition).SelectMany(f => f.Samples).ToDictionary(s => s.Key, s => s.Value);

    /// <summary>One process of the pre-built sample (<c>dotnet aspnetcore-app.dll --urls ...</c>) on the test's directory.</summary>
    private sealed class SampleApp : IDisposable
    {
        private readonly ChildProcess _process;
        private readonly HttpClient _client;

        private SampleApp(ChildProcess process, Uri baseAddress)
        {
            _process = process;
            BaseAddress = baseAddress;
            _client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        }

        public Uri BaseAddress { get; }

        public static async Task<SampleApp> StartAsync(string directory)
        {
            var baseAddress = new Uri($"http://127.0.0.1:{FreeLoopbackPort.Next().ToString(CultureInfo.InvariantCulture)}/");
            ChildProcess process = DotnetHost.Start(
                RepoPaths.AspNetCoreSampleDll,
                ["--urls", baseAddress.GetLeftPart(UriPartial.Authority)],
                new Dictionary<string, string?> { [ChorusOptions.DirectoryVariable] = directory, ["Logging__LogLevel__Default"] = "Warning" });
            var app = new SampleApp(process, baseAddress);
            try
            {
                // Readiness on /metrics, so /hello counts only the test's own requests.
                await HttpReadiness.WaitUntilServingAsync(new Uri(baseAddress, "metrics"), process, TimeSpan.FromSeconds(60));
                return app;
            }
            catch
            {
                app.Dispose();
                throw;
            }
        }

        public async Task GetHelloAsync(int times)
        {
            for (int i = 0; i < times; i++)
            {
                Assert.Equal("Hello from Chorus\n", await _client.GetStringAsync(new Uri("hello", UriKind.Relative)));
            }
        }

        public Task<string> ScrapeTextAsync() => ScrapeClient.GetMetricsTextAsync(_client);

        public async Task<Dictionary<string, double>> ScrapeAsync() => ToSamples(await ScrapeTextAsync());

        /// <summary>Stops the process as a service manager would (SIGTERM), then waits for it to exit.</summary>
        public void Stop()
        {
            _process.Signal("TERM");
            Assert.True(_process.ExitsWithin(TimeSpan.FromSeconds(30)), "the sample did not stop on SIGTERM");
        }

        public void Dispose()
        {
            _client.Dispose();
            _process.Dispose();
        }
    }
}
