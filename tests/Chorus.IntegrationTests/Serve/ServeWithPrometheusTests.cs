using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Chorus.AspNetCore;
using Chorus.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// <c>chorus serve</c> over a directory real prometheus_client workers keep writing, scraped by a real Prometheus
/// server and by concurrent clients; what they see must equal what the workers wrote.
/// </summary>
public sealed class ServeWithPrometheusTests
{
    private const int Workers = 3;
    private const int Iterations = 150;

    // How many predicted scrapes the tests of predictions wait for.
    private const int PredictedScrapes = 16;

    /// <summary>
    /// Every drop Prometheus saw in the counters over the run: a merged total that went backwards between two scrapes
    /// (a file read twice, then once) would show here even when the last value is right. Empty (null) when the series are missing.
    /// </summary>
    private const string CounterResets = "sum(resets(serve_test_jobs_total[10m])) + sum(resets(serve_test_latency_seconds_count[10m])) + sum(resets(serve_test_series_total[10m]))";

    [Fact]
    public async Task Prometheus_ScrapingServeWhileWorkersWrite_SeesExactlyWhatTheyWrote()
    {
        using var dir = new TempDirectory("serve");
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using PrometheusServer prometheus = await PrometheusServer.StartAsync(serve.MetricsUrl);
        await PythonWriters.RunToCompletionAsync(dir.Path, Workers, Iterations, sleepMs: 10, TimeSpan.FromSeconds(60));

        TimeSpan wait = TimeSpan.FromSeconds(30);
        double? jobs = await prometheus.WaitForValueAsync("sum(serve_test_jobs_total)", Workers * Iterations, wait);
        double? worker2 = await prometheus.WaitForValueAsync("serve_test_jobs_total{worker=\"2\"}", Iterations, wait);
        double? count = await prometheus.WaitForValueAsync("sum(serve_test_latency_seconds_count)", Workers * Iterations, wait);
        double? sum = await prometheus.WaitForValueAsync("sum(serve_test_latency_seconds_sum)", Workers * Iterations * 0.25, wait);
        double? bucket = await prometheus.WaitForValueAsync("sum(serve_test_latency_seconds_bucket{le=\"0.1\"})", 0, wait);
        double? series = await prometheus.WaitForValueAsync("count(serve_test_series_total)", Workers * Iterations, wait);
        double? seriesSum = await prometheus.WaitForValueAsync("sum(serve_test_series_total)", Workers * (Iterations * (Iterations + 1) / 2.0), wait);
        double? up = await prometheus.QueryScalarAsync("up{job=\"chorus\"}");
        double? resets = await CounterResetsAfterSeveralScrapesAsync(prometheus);

        Assert.Equal(Workers * Iterations, jobs);
        Assert.Equal(Iterations, worker2);
        Assert.Equal(Workers * Iterations, count);
        Assert.Equal(Workers * Iterations * 0.25, sum);
        Assert.Equal(0, bucket);
        Assert.Equal(Workers * Iterations, series);
        Assert.Equal(Workers * (Iterations * (Iterations + 1) / 2.0), seriesSum);
        Assert.Equal(1, up);
        Assert.Equal(0, resets);
    }

    [Fact]
    public async Task APrometheusPair_ScrapingServeFromTwoOffsets_HasItsScrapesPredicted_AndEachSeesWhatTheWorkersWrote()
    {
        using var dir = new TempDirectory("serve-pair");
        string times = dir.File("stage-times.txt");
        using ChorusServeProcess serve = await StartServeWritingStageTimesAsync(dir.Path, times);
        // Every 2 s: at 1 s, a pair whose offsets lie half an interval apart (one run in forty) looks like one scraper
        // every 0.5 s, under the shortest interval prepared for, and is left alone; at 2 s that is a cadence of 1 s.
        using PrometheusServer first = await PrometheusServer.StartAsync(serve.MetricsUrl, replica: "a", intervalSeconds: 2);
        using PrometheusServer second = await PrometheusServer.StartAsync(serve.MetricsUrl, replica: "b", intervalSeconds: 2);
        await PythonWriters.RunToCompletionAsync(dir.Path, Workers, Iterations, sleepMs: 10, TimeSpan.FromSeconds(60));

        await AssertPrometheusSawEveryJobWithoutResetsAsync(first);
        await AssertPrometheusSawEveryJobWithoutResetsAsync(second);

        // Two servers scraping every 2 s from different offsets fit no single scraper's cadence (unless half an interval
        // apart): the pair's predicts their scrapes.
        await AssertMostScrapesPredictedAsync(times);
    }

    [Fact]
    public async Task Prometheus_WithAnotherClientScrapingAnotherFormatInBetween_HasItsScrapesPredicted()
    {
        using var dir = new TempDirectory("serve-two-kinds");
        string times = dir.File("stage-times.txt");
        using ChorusServeProcess serve = await StartServeWritingStageTimesAsync(dir.Path, times);
        using PrometheusServer prometheus = await PrometheusServer.StartAsync(serve.MetricsUrl);
        using HttpClient other = ScrapeClient.Create(serve.BaseAddress);
        await PythonWriters.RunToCompletionAsync(dir.Path, Workers, Iterations, sleepMs: 10, TimeSpan.FromSeconds(60));

        // Another collector asking for plain text without gzip every 1.3 s, by the clock, between Prometheus's scrapes,
        // until the predictions were counted.
        using var stop = new CancellationTokenSource();
        Task<int> otherScrapes = Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            int scrapes = 0;
            while (!stop.IsCancellationRequested)
            {
                using HttpResponseMessage response = await other.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", "text/plain", null));
                response.EnsureSuccessStatusCode();
                scrapes++;
                TimeSpan next = TimeSpan.FromMilliseconds(1300) * scrapes;
                await Task.WhenAny(Task.Delay(next > clock.Elapsed ? next - clock.Elapsed : TimeSpan.Zero, stop.Token));
            }

            return scrapes;
        });

        try
        {
            // Each scrape of another kind used to start the learning again, so Prometheus's were never predicted.
            await AssertPrometheusSawEveryJobWithoutResetsAsync(prometheus);
            await AssertMostScrapesPredictedAsync(times);
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.True(await otherScrapes >= 8, "the other client scraped too little to interleave");
    }

    /// <summary><c>chorus serve</c> of <paramref name="directory"/> appending its stage-time lines to <paramref name="times"/>.</summary>
    private static Task<ChorusServeProcess> StartServeWritingStageTimesAsync(string directory, string times) =>
        ChorusServeProcess.StartAsync(ChorusCli.Start(
            ["serve", "--dir", directory, "--listen", "127.0.0.1:0"],
            new Dictionary<string, string?> { ["CHORUS_DEBUG_STAGE_TIMES"] = times }));

    /// <summary>
    /// Waits for <see cref="PredictedScrapes"/> of Prometheus's scrapes that came while a prediction stood (each writes how
    /// far from it it came), then asks that they are two thirds of Prometheus's scrapes since the first of them and came
    /// within 25 ms of their predictions (median). Prometheus's scrapes are the gzipped ones (an odd kind); another
    /// client's, predicted only when their kind's preparation is due first, would move the share with the interleaving.
    /// </summary>
    private static async Task AssertMostScrapesPredictedAsync(string times)
    {
        var waited = Stopwatch.StartNew();
        while (PrometheusScrapes(times).Count(miss => miss is not null) < PredictedScrapes && waited.Elapsed < TimeSpan.FromSeconds(40))
        {
            await Task.Delay(250);
        }

        // Counted from the first scrape predicted: the first three scrapes only teach the cadence.
        long?[] scrapes = [.. PrometheusScrapes(times).SkipWhile(miss => miss is null)];
        long[] misses = [.. scrapes.OfType<long>()];
        Assert.True(misses.Length >= PredictedScrapes && misses.Length * 3 >= scrapes.Length * 2, $"{misses.Length} of {scrapes.Length} of Prometheus's scrapes predicted:\n{File.ReadAllText(times)}");
        Assert.True(misses.Order().ElementAt(misses.Length / 2) <= 25, $"the scrapes came {string.Join(", ", misses)} ms from their predictions");
    }

    /// <summary>
    /// Prometheus's (gzipped) scrapes in order, from serve's stage-time lines: how far (milliseconds either way) each came
    /// from its prediction, null for one that came while none stood.
    /// </summary>
    private static long?[] PrometheusScrapes(string times) => !File.Exists(times) ? [] :
        [.. Regex.Matches(File.ReadAllText(times), @"chorus scrape ms: (?:from prediction=(-?\d+)|unpredicted) kind=(\d+)")
            .Where(m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) % 2 == 1)
            .Select(m => m.Groups[1].Success ? Math.Abs(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)) : (long?)null)];

    [Fact]
    public async Task Prometheus_ScrapingMapChorusMetricsInAnAspNetCoreApp_SeesWhatTheWorkersWrote()
    {
        using var dir = new TempDirectory("serve");
        int scrapes = 0;
        int gzipped = 0;
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(
            builder => builder.Services.AddChorus(options => options.Directory = dir.Path),
            (WebApplication web) =>
            {
                // Prometheus asks for gzip and must read the gzip members the endpoint keeps from scrape to scrape.
                web.Use(async (context, next) =>
                {
                    await next(context);
                    if (context.Request.Path == "/metrics")
                    {
                        Interlocked.Increment(ref scrapes);
                        if (context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.Ordinal) && context.Response.Headers.ContentEncoding == "gzip")
                        {
                            Interlocked.Increment(ref gzipped);
                        }
                    }
                });
                web.MapChorusMetrics();
            });
        using PrometheusServer prometheus = await PrometheusServer.StartAsync(app.BaseAddress);
        await PythonWriters.RunToCompletionAsync(dir.Path, Workers, Iterations, sleepMs: 10, TimeSpan.FromSeconds(60));

        await AssertPrometheusSawEveryJobWithoutResetsAsync(prometheus);
        Assert.True(Volatile.Read(ref scrapes) >= 6, $"{scrapes} scrapes");
        Assert.Equal(Volatile.Read(ref scrapes), Volatile.Read(ref gzipped));
    }

    [Fact]
    public async Task Prometheus_ScrapingServeThroughTlsAndBasicAuth_SeesWhatTheWorkersWrote()
    {
        using var dir = new TempDirectory("serve");
        using var web = new TempDirectory("web");
        using X509Certificate2 certificate = SelfSignedCertificate.CreateForLoopback();
        await SelfSignedCertificate.WritePemFilesAsync(certificate, web.Path);
        string hash = BCrypt.Net.BCrypt.HashPassword("s3cret", 4);
        await File.WriteAllTextAsync(web.File("web.yml"), $"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  prometheus: '{hash}'\n");
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path, "--web.config.file", web.File("web.yml"));
        Assert.Equal("https", serve.MetricsUrl.Scheme);
        using PrometheusServer prometheus = await PrometheusServer.StartAsync(serve.MetricsUrl, caFile: web.File("cert.pem"), basicAuth: ("prometheus", "s3cret"));
        await PythonWriters.RunToCompletionAsync(dir.Path, Workers, Iterations, sleepMs: 10, TimeSpan.FromSeconds(60));

        await AssertPrometheusSawEveryJobWithoutResetsAsync(prometheus);
    }

    [Fact]
    public async Task ConcurrentScrapes_WhileWritersAddSeriesAndGrowFiles_AreCompleteAndNeverGoBackwards()
    {
        using var dir = new TempDirectory("serve");
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);
        using PythonWriters writers = PythonWriters.Start(dir.Path, Workers, Iterations, sleepMs: 5);
        Task writing = writers.WaitAsync(TimeSpan.FromSeconds(60));

        string[] accepts = [ScrapeClient.PrometheusAccept, "text/plain", "*/*", "application/openmetrics-text"];
        async Task<int> ScrapeLoop(int index)
        {
            double lastJobs = 0;
            int scrapes = 0;
            Stopwatch elapsed = Stopwatch.StartNew();
            while (!writing.IsCompleted && elapsed.Elapsed < TimeSpan.FromSeconds(60) && scrapes < 2000)
            {
                using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", accepts[index % accepts.Length], index % 2 == 0 ? "gzip" : null));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                string body = await ScrapeClient.ReadBodyAsync(response);
                bool openMetrics = response.Content.Headers.ContentType!.MediaType == "application/openmetrics-text";
                Assert.EndsWith(openMetrics ? "# EOF\n" : "\n", body, StringComparison.Ordinal);
                Dictionary<string, double> samples = ExpositionSamples.Parse(body);
                // Before the writers' first increment the counter is not there yet: that counts as 0.
                double jobs = ExpositionSamples.Contains(samples, "serve_test_jobs_total") ? ExpositionSamples.Sum(samples, "serve_test_jobs_total") : 0;
                Assert.True(jobs >= lastJobs, $"the sum of counters went backwards: {lastJobs} then {jobs}");
                lastJobs = jobs;
                scrapes++;
            }

            return scrapes;
        }

        int[] scrapes = await Task.WhenAll(Enumerable.Range(0, 4).Select(ScrapeLoop));
        await writing;
        string final = await ScrapeClient.GetMetricsTextAsync(client);
        Dictionary<string, double> samples = ExpositionSamples.Parse(final);

        Assert.All(scrapes, count => Assert.True(count > 0));
        Assert.Equal(Workers * Iterations, ExpositionSamples.Sum(samples, "serve_test_jobs_total"));
        Assert.Equal(Workers * Iterations, samples.Keys.Count(k => k.StartsWith("serve_test_series_total{", StringComparison.Ordinal)));
        Assert.True(new FileInfo(Directory.GetFiles(dir.Path, "counter_*.db")[0]).Length > 64 * 1024, "the writers' files should have grown past 64 KiB");
    }

    [Fact]
    public async Task Promtool_AcceptsTheServedTextFormat()
    {
        using var dir = new TempDirectory("serve");
        await PythonWriters.RunToCompletionAsync(dir.Path, workers: 2, iterations: 5);

        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);
        string text = await ScrapeClient.GetMetricsTextAsync(client);

        (int exitCode, string stdout, string stderr) = await Promtool.CheckMetricsAsync(text);
        string output = stdout + stderr;

        Assert.True(exitCode == 0, $"promtool check metrics: {output}\n{text}");
        Assert.Contains("serve_test_jobs_total", text, StringComparison.Ordinal);
        Assert.Contains("chorus_scrape_duration_seconds", text, StringComparison.Ordinal);
    }

    /// <summary>Prometheus stored every job and observation the workers made, the target is up, and no counter ever went down.</summary>
    private static async Task AssertPrometheusSawEveryJobWithoutResetsAsync(PrometheusServer prometheus)
    {
        double? jobs = await prometheus.WaitForValueAsync("sum(serve_test_jobs_total)", Workers * Iterations, TimeSpan.FromSeconds(30));
        double? count = await prometheus.WaitForValueAsync("sum(serve_test_latency_seconds_count)", Workers * Iterations, TimeSpan.FromSeconds(30));
        double? up = await prometheus.QueryScalarAsync("up{job=\"chorus\"}");
        double? resets = await CounterResetsAfterSeveralScrapesAsync(prometheus);

        Assert.Equal(Workers * Iterations, jobs);
        Assert.Equal(Workers * Iterations, count);
        Assert.Equal(1, up);
        Assert.Equal(0, resets);
    }

    /// <summary>
    /// <see cref="CounterResets"/> once Prometheus holds several scrapes of the final totals too: a total that dips on
    /// some scrapes only shows as a reset when there are scrapes after it.
    /// </summary>
    private static async Task<double?> CounterResetsAfterSeveralScrapesAsync(PrometheusServer prometheus)
    {
        await prometheus.WaitForValueAsync("min(count_over_time(serve_test_jobs_total[10m])) >= bool 6", 1, TimeSpan.FromSeconds(30));
        return await prometheus.QueryScalarAsync(CounterResets);
    }
}
