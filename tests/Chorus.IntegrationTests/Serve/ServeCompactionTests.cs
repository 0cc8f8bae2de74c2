using System.Diagnostics;

namespace Chorus.IntegrationTests.Serve;

/// <summary><c>chorus serve --compact-every</c>: dead workers' files are folded while serving, and the served sums stay the same.</summary>
public sealed class ServeCompactionTests
{
    [Fact]
    public async Task Serve_CompactEvery_FoldsDeadWorkersFilesWithoutChangingTheSums()
    {
        using var dir = new ServeTempDirectory();
        using (PythonWriters writers = PythonWriters.Start(dir.Path, workers: 3, iterations: 20, sleepMs: 0))
        {
            await writers.WaitAsync(TimeSpan.FromSeconds(30));
        }

        int filesBefore = Directory.GetFiles(dir.Path, "*.db").Length;
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path, "--compact-every", "500ms");
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);

        Stopwatch waited = Stopwatch.StartNew();
        var sums = new List<double>();
        while (Directory.GetFiles(dir.Path, "*.db").Length >= filesBefore && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            sums.Add(ExpositionSamples.Sum(ExpositionSamples.Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative))), "serve_test_jobs_total"));
            await Task.Delay(100);
        }

        Dictionary<string, double> after = ExpositionSamples.Parse(await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        int filesAfter = Directory.GetFiles(dir.Path, "*.db").Length;

        Assert.True(filesAfter < filesBefore, $"no compaction within 30 s ({filesBefore} files); stderr: {serve.StandardError}");
        Assert.All(sums, sum => Assert.Equal(60, sum));
        Assert.Equal(60, ExpositionSamples.Sum(after, "serve_test_jobs_total"));
        Assert.Equal(60, ExpositionSamples.Sum(after, "serve_test_latency_seconds_count"));
        Assert.Equal(20, after["serve_test_jobs_total{worker=\"3\"}"]);
    }
}
