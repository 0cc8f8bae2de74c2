using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// <c>chorus serve</c> only serves metrics, so it runs the garbage collector itself in the gap after a response once a
/// MiB was allocated (<c>ChorusEndpointOptions.CollectGarbageBetweenScrapes</c>); its stage-time lines
/// (<c>CHORUS_DEBUG_STAGE_TIMES</c>) say when.
/// </summary>
public sealed class ServeGarbageCollectionTests
{
    [Fact]
    public async Task Serve_CollectsGarbageBetweenScrapes_AfterScrapesThatAllocated()
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
        bool collected = false;
        for (int round = 0; round < 20 && !collected; round++)
        {
            foreach ((string accept, string? encoding) in scrapes)
            {
                using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", accept, encoding));
                response.EnsureSuccessStatusCode();
                await Task.Delay(300);
            }

            collected = File.Exists(times) && File.ReadAllText(times).Contains("chorus between scrapes us: CollectGarbage=", StringComparison.Ordinal);
        }

        Assert.True(collected, "serve ran no collection between scrapes:\n" + (File.Exists(times) ? File.ReadAllText(times) : "(no stage times)"));
    }
}
