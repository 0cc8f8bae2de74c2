using System.Diagnostics;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// <c>chorus serve</c> prepares a scrape whose time it knows from the steady interval of the last ones (collects,
/// formats and compresses shortly before it, <c>ChorusEndpointOptions.PrepareAheadOfScrapes</c>), and every second
/// while it does not know it yet, unless told <c>--no-prepare-scrapes</c>; its stage-time lines
/// (<c>CHORUS_DEBUG_STAGE_TIMES</c>) show each preparation.
/// </summary>
public sealed class ServePreparedScrapesTests
{
    private const string Prepared = "chorus stages ahead us:";
    private const string Scraped = "chorus stages us:";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task Serve_PreparesScrapesThatComeAtASteadyInterval_UnlessToldNotTo()
    {
        using var dir = new TempDirectory("serve-prepared");
        LargeDirectory.Write(dir.Path, 200);
        string preparedTimes = dir.File("prepared-times.txt");
        string plainTimes = dir.File("plain-times.txt");
        using ChorusServeProcess prepared = await StartAsync(dir.Path, preparedTimes);
        using ChorusServeProcess plain = await StartAsync(dir.Path, plainTimes, "--no-prepare-scrapes");
        using HttpClient preparedClient = ScrapeClient.Create(prepared.BaseAddress);
        using HttpClient plainClient = ScrapeClient.Create(plain.BaseAddress);

        // Scrapes one interval apart by the clock (not one interval after the last ended), as Prometheus scrapes; a round
        // whose timing a busy machine upset only delays the learning, so a few more rounds are allowed.
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < 12 && !Lines(preparedTimes).Contains(Prepared, StringComparison.Ordinal); round++)
        {
            TimeSpan due = Interval * round;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            await ScrapeAsync(preparedClient);
            await ScrapeAsync(plainClient);
        }

        string preparedLines = Lines(preparedTimes);
        string plainLines = Lines(plainTimes);
        Assert.Contains(Prepared, preparedLines);
        Assert.Contains(Scraped, plainLines);
        Assert.DoesNotContain(Prepared, plainLines);
    }

    [Fact]
    public async Task Serve_PreparesTheNextScrapeEverySecond_BeforeItKnowsWhenItComes()
    {
        using var dir = new TempDirectory("serve-unknown-cadence");
        LargeDirectory.Write(dir.Path, 40);
        string preparedTimes = dir.File("prepared-times.txt");
        string plainTimes = dir.File("plain-times.txt");
        using ChorusServeProcess prepared = await StartAsync(dir.Path, preparedTimes);
        using ChorusServeProcess plain = await StartAsync(dir.Path, plainTimes, "--no-prepare-scrapes");
        using HttpClient preparedClient = ScrapeClient.Create(prepared.BaseAddress);
        using HttpClient plainClient = ScrapeClient.Create(plain.BaseAddress);

        // One scrape each, then none: one scrape says nothing of when the next comes.
        await ScrapeAsync(preparedClient);
        await ScrapeAsync(plainClient);
        var waited = Stopwatch.StartNew();
        while (Count(Lines(preparedTimes), Prepared) < 2 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        Assert.True(Count(Lines(preparedTimes), Prepared) >= 2, Lines(preparedTimes));
        Assert.True(waited.Elapsed >= TimeSpan.FromSeconds(1.5), $"two preparations {waited.Elapsed} after the scrape");
        Assert.Contains(Scraped, Lines(plainTimes));
        Assert.DoesNotContain(Prepared, Lines(plainTimes));
    }

    private static int Count(string text, string line)
    {
        int count = 0;
        for (int at = text.IndexOf(line, StringComparison.Ordinal); at >= 0; at = text.IndexOf(line, at + line.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static Task<ChorusServeProcess> StartAsync(string directory, string times, params string[] flags) =>
        ChorusServeProcess.StartAsync(ChorusCli.Start(
            ["serve", "--dir", directory, "--listen", "127.0.0.1:0", .. flags],
            new Dictionary<string, string?> { ["CHORUS_DEBUG_STAGE_TIMES"] = times }));

    private static async Task ScrapeAsync(HttpClient client)
    {
        using HttpResponseMessage response = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", ScrapeClient.PrometheusAccept, "gzip"));
        response.EnsureSuccessStatusCode();
    }

    private static string Lines(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
