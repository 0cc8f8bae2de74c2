using System.Diagnostics;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Compaction;

/// <summary><c>chorus serve --compact-every</c> folds dead workers' files while scrapes keep seeing the same totals.</summary>
public sealed class ServeCompactEveryTests : IDisposable
{
    private readonly TempDirectory _dir = new("compact-serve");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Serve_CompactEvery_FoldsDeadWorkers_ScrapedTotalsNeverChange()
    {
        for (int seed = 21; seed <= 23; seed++)
        {
            CompactionPeers.RunDeadWorker(_dir.Path, seed);
        }

        using ChildProcess live = CompactionPeers.StartLiveWorker(_dir.Path, 24);
        try
        {
            using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(_dir.Path, "--compact-every", "1s");
            using HttpClient client = ScrapeClient.Create(serve.BaseAddress);
            double? expected = null;
            int scrapes = 0;
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                string body = await ScrapeClient.GetMetricsTextAsync(client);
                double total = ExpositionSamples.Sum(ExpositionSamples.Parse(body), "app_requests_total");
                expected ??= total;
                Assert.Equal(expected.Value, total);
                scrapes++;
                // At least three scrapes to compare, even when serve's first compaction finished before the first one.
                if (scrapes < 3 || !File.Exists(Path.Combine(_dir.Path, "counter_archive8.db")) || Directory.EnumerateFiles(_dir.Path, "counter_*.db").Count() != 2)
                {
                    await Task.Delay(200);
                    continue;
                }

                break;
            }

            Assert.True(File.Exists(Path.Combine(_dir.Path, "counter_archive8.db")), "no compaction within 20 s: " + serve.StandardError);
            Assert.True(File.Exists(Path.Combine(_dir.Path, $"counter_{live.Pid}.db")));
            Assert.Equal(2, Directory.EnumerateFiles(_dir.Path, "counter_*.db").Count());
            Assert.True(scrapes > 1);
        }
        finally
        {
            live.Kill();
        }
    }
}
