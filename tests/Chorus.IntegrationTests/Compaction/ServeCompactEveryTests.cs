using System.Diagnostics;
using Chorus.IntegrationTests.Serve;

namespace Chorus.IntegrationTests.Compaction;

/// <summary><c>chorus serve --compact-every</c> folds dead workers' files while scrapes keep seeing the same totals.</summary>
public sealed class ServeCompactEveryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chorus-compact-serve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Serve_CompactEvery_FoldsDeadWorkers_ScrapedTotalsNeverChange()
    {
        for (int seed = 21; seed <= 23; seed++)
        {
            CompactionPeers.RunDeadWorker(_dir, seed);
        }

        using Process live = CompactionPeers.StartLiveWorker(_dir, 24);
        try
        {
            using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(_dir, "--compact-every", "1s");
            using HttpClient client = ScrapeClient.Create(serve.BaseAddress);
            double? expected = null;
            int scrapes = 0;
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                string body = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
                double total = ExpositionSamples.Sum(ExpositionSamples.Parse(body), "app_requests_total");
                expected ??= total;
                Assert.Equal(expected.Value, total);
                scrapes++;
                if (!File.Exists(Path.Combine(_dir, "counter_archive8.db")) || Directory.EnumerateFiles(_dir, "counter_*.db").Count() != 2)
                {
                    await Task.Delay(200);
                    continue;
                }

                break;
            }

            Assert.True(File.Exists(Path.Combine(_dir, "counter_archive8.db")), "no compaction within 20 s: " + serve.StandardError);
            Assert.True(File.Exists(Path.Combine(_dir, $"counter_{live.Id}.db")));
            Assert.Equal(2, Directory.EnumerateFiles(_dir, "counter_*.db").Count());
            Assert.True(scrapes > 1);
        }
        finally
        {
            live.Kill();
            live.WaitForExit();
        }
    }
}
