using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary><c>chorus serve</c>'s <c>chorus_*</c> self-metrics and its one-log-line-per-problem-file rule.</summary>
public sealed class ServeSelfMetricsTests
{
    [Fact]
    public async Task Serve_ReportsFilesAndSkips_AndLogsEachSkippedFileOnce()
    {
        using var dir = new TempDirectory("serve");
        await PythonWriters.RunToCompletionAsync(dir.Path, workers: 2, iterations: 3);

        int goodFiles = Directory.GetFiles(dir.Path, "*.db").Length;
        await File.WriteAllBytesAsync(dir.File("notametric_1.db"), new byte[16]);
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);

        Dictionary<string, double> samples = [];
        for (int i = 0; i < 3; i++)
        {
            samples = ExpositionSamples.Parse(await ScrapeClient.GetMetricsTextAsync(client));
        }

        // Let the log lines of the last scrape reach stderr.
        await Task.Delay(500);
        string stderr = serve.StandardError;

        Assert.Equal(goodFiles, samples["chorus_files{state=\"read\"}"]);
        Assert.Equal(1, samples["chorus_files{state=\"skipped\"}"]);
        Assert.Equal(0, samples["chorus_files{state=\"damaged\"}"]);
        Assert.Equal(3, samples["chorus_files_skipped_total{reason=\"unrecognized_name\"}"]);
        Assert.Equal(0, samples["chorus_files_skipped_total{reason=\"unreadable\"}"]);
        Assert.True(samples["chorus_bytes_read_total"] > 0);
        Assert.True(samples["chorus_scrape_duration_seconds"] > 0);
        Assert.Equal(1, CountLinesContaining(stderr, "notametric_1.db"));
        Assert.Equal(6, ExpositionSamples.Sum(samples, "serve_test_jobs_total"));
    }

    private static int CountLinesContaining(string text, string value) =>
        text.Split('\n').Count(line => line.Contains(value, StringComparison.Ordinal));
}
