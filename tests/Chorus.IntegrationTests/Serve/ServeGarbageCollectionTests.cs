using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// <c>chorus serve</c> only serves metrics, so it runs the garbage collector itself in the gap after a response once a
/// MiB was allocated (<c>ChorusEndpointOptions.CollectGarbageBetweenScrapes</c>): the first a full compacting one that
/// gives back what the first scrapes grew the heap by, later ones gen1 ones while the heap stays near that size. Its
/// stage-time lines (<c>CHORUS_DEBUG_STAGE_TIMES</c>) say when and which.
/// </summary>
public sealed class ServeGarbageCollectionTests
{
    [Fact]
    public async Task Serve_CompactsItsHeapAndThenCollectsGarbageBetweenScrapes_AfterScrapesThatAllocated()
    {
        using var dir = new TempDirectory("serve-gc");
        LargeDirectory.Write(dir.Path, 2_000);
        string times = dir.File("stage-times.txt");
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(ChorusCli.Start(
            ["serve", "--dir", dir.Path, "--listen", "127.0.0.1:0"],
            new Dictionary<string, string?> { ["CHORUS_DEBUG_STAGE_TIMES"] = times }));
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);

        // Each format and encoding asked for the first time renders or compresses every family: MiBs at 2,000 files.
        (string Accept, string? Encoding)[] scrapes =
        [
            ("text/plain;version=0.0.4", null), (ScrapeClient.PrometheusAccept, "gzip"), ("text/plain;version=0.0.4", "gzip"),
            (ScrapeClient.PrometheusAccept, null), ("text/plain;version=0.0.4", null),
        ];
        const string Compacted = "chorus between scrapes us: CompactHeap=";
        const string Collected = "chorus between scrapes us: CollectGarbage=";
        string lines = "";
        for (int round = 0; round < 20 && !(lines.Contains(Compacted, StringComparison.Ordinal) && lines.Contains(Collected, StringComparison.Ordinal)); round++)
        {
            foreach ((string accept, string? encoding) in scrapes)
            {
                using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", accept, encoding));
                response.EnsureSuccessStatusCode();
                await Task.Delay(300);
            }

            bool compactedBefore = lines.Contains(Compacted, StringComparison.Ordinal);
            lines = File.Exists(times) ? File.ReadAllText(times) : "";
            if (!compactedBefore && lines.Contains(Compacted, StringComparison.Ordinal))
            {
                // Warm scrapes allocate little: new files to read and series to render make the next ones allocate MiBs,
                // while the heap grows by far less than a compaction waits for.
                LargeDirectory.Write(dir.Path, 500, first: 2_000);
            }
        }

        int compacted = lines.IndexOf(Compacted, StringComparison.Ordinal);
        int collected = lines.IndexOf(Collected, StringComparison.Ordinal);
        Assert.True(compacted >= 0 && collected > compacted, "serve did not compact its heap first and then collect gen1 between scrapes:\n" + lines);
    }
}
