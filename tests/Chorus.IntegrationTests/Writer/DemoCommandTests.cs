using Chorus.Aggregation;
using Chorus.Exposition;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Writer;

public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("demo-test");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Demo_300Requests_LastLineMatchesMergedCounter()
    {
        (int exit, string stdout, string stderr) = ChorusCli.Run(TimeSpan.FromSeconds(90), "demo", "--requests", "300", "--no-serve", "--dir", _dir.Path, "--max-requests", "40");

        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal("requests=300", stdout.TrimEnd('\n').Split('\n')[^1]);
        using MultiProcessDirectory merged = MultiProcessDirectory.Open(_dir.Path);
        IReadOnlyList<MetricFamily> families = merged.CollectFamilies();
        Assert.Equal(300, families.Single(f => f.Name == "demo_requests").Samples.Sum(s => s.Value));
        Assert.Equal(300, families.Single(f => f.Name == "demo_request_duration_seconds").Samples.Where(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Sum(s => s.Value));
        Assert.Equal(0, families.Single(f => f.Name == "demo_requests_in_progress").Samples.Sum(s => s.Value));
        Assert.Equal(MetricType.Info, families.Single(f => f.Name == "demo_worker").Type);

        // 8 workers of 40 requests (the last one 20) ran, at most 4 at once: files stay bounded by the slots.
        Assert.InRange(Directory.GetFiles(_dir.Path, "counter_*.db").Length, 1, 4);
    }

    [Fact]
    public async Task Demo_ServesMergedMetricsOnLoopback_AndStopsCleanlyOnSigterm()
    {
        using var demo = ChorusCli.Start(["demo", "--dir", _dir.Path, "--max-requests", "30"]);
        string url = demo.WaitForLineStartingWith("chorus demo: metrics at ");
        Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string body = string.Empty;
        for (int attempt = 0; attempt < 100 && !body.Contains("demo_requests_total{", StringComparison.Ordinal); attempt++)
        {
            body = await http.GetStringAsync(new Uri(url));
            await Task.Delay(100);
        }

        Assert.Contains("# TYPE demo_requests_total counter", body, StringComparison.Ordinal);
        Assert.Contains("demo_request_duration_seconds_bucket{", body, StringComparison.Ordinal);
        demo.Signal("TERM");
        string requests = demo.WaitForLineStartingWith("requests=");
        Assert.Equal(0, demo.Wait(TimeSpan.FromSeconds(30)).ExitCode);
        using MultiProcessDirectory merged = MultiProcessDirectory.Open(_dir.Path);
        Assert.Equal(double.Parse(requests, System.Globalization.CultureInfo.InvariantCulture), merged.CollectFamilies().Single(f => f.Name == "demo_requests").Samples.Sum(s => s.Value));
    }

    [Fact]
    public void Demo_TemporaryDirectoryIsRemoved_AndBadFlagsAreUsageErrors()
    {
        (int exit, string stdout, _) = ChorusCli.Run(TimeSpan.FromSeconds(60), "demo", "--requests", "10", "--no-serve", "--workers", "2");
        Assert.Equal(0, exit);
        string line = stdout.Split('\n').First(l => l.Contains("writing ", StringComparison.Ordinal));
        string directory = line[(line.IndexOf("writing ", StringComparison.Ordinal) + "writing ".Length)..].Trim();
        Assert.False(Directory.Exists(directory), $"{directory} should have been removed");

        (int usage, _, string stderr) = ChorusCli.Run(TimeSpan.FromSeconds(30), "demo", "--workers", "0", "--no-serve");
        Assert.Equal(2, usage);
        Assert.Contains("--workers", stderr, StringComparison.Ordinal);
    }
}
