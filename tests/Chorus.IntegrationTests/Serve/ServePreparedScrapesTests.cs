using System.Diagnostics;
using System.Text.RegularExpressions;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// <c>chorus serve</c> prepares a scrape whose time it knows from the steady interval of the last ones (collects,
/// formats and compresses shortly before it, <c>ChorusEndpointOptions.PrepareAheadOfScrapes</c>), and every second
/// while it does not know it yet, unless told <c>--no-prepare-scrapes</c>; its stage-time lines
/// (<c>CHORUS_DEBUG_STAGE_TIMES</c>) show each preparation, how late its timer fired and how far ahead of the scrape it started.
/// </summary>
public sealed class ServePreparedScrapesTests
{
    private const string Prepared = "chorus stages ahead us:";
    private const string Scraped = "chorus stages us:";

    // Each preparation's line: how late its timer fired, and how long before the predicted scrape it started ("unknown"
    // while the cadence is).
    private const string Preparation = "chorus preparation ms: ";
    private const string PredictedPreparation = @"chorus preparation ms: late=-?\d+ ahead=-?\d+";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task Serve_PreparesScrapesThatComeAtASteadyInterval_UnlessToldNotTo()
    {
        using var servers = await ServerPair.StartAsync("serve-prepared", files: 200);

        // Scrapes one interval apart by the clock (not one interval after the last ended), as Prometheus scrapes; a round
        // whose timing a busy machine upset only delays the learning, so a few more rounds are allowed.
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < 12 && !Regex.IsMatch(Lines(servers.PreparedTimes), PredictedPreparation); round++)
        {
            TimeSpan due = Interval * round;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            await ScrapeAsync(servers.PreparedClient);
            await ScrapeAsync(servers.PlainClient);
        }

        string preparedLines = Lines(servers.PreparedTimes);
        string plainLines = Lines(servers.PlainTimes);
        Assert.Contains(Prepared, preparedLines);
        Assert.Matches(PredictedPreparation, preparedLines);
        Assert.Contains(Scraped, plainLines);
        Assert.DoesNotContain(Prepared, plainLines);
    }

    [Fact]
    public async Task Serve_PreparesTheNextScrapeEverySecond_BeforeItKnowsWhenItComes()
    {
        using var servers = await ServerPair.StartAsync("serve-unknown-cadence", files: 40);

        // One scrape each, then none: one scrape says nothing of when the next comes. The preparations are timed from the
        // prepared server's answer, so the wait is too: timed from the other server's, a first scrape slow on a loaded
        // machine (0.9 s in a CI run) left two preparations only 1.1 s after it.
        await ScrapeAsync(servers.PreparedClient);
        var waited = Stopwatch.StartNew();
        await ScrapeAsync(servers.PlainClient);
        while (Count(Lines(servers.PreparedTimes), Prepared) < 2 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        Assert.True(Count(Lines(servers.PreparedTimes), Prepared) >= 2, Lines(servers.PreparedTimes));
        Assert.True(waited.Elapsed >= TimeSpan.FromSeconds(1.5), $"two preparations {waited.Elapsed} after the scrape");
        Assert.Contains(Preparation + "late=", Lines(servers.PreparedTimes));
        Assert.DoesNotMatch(PredictedPreparation, Lines(servers.PreparedTimes));
        Assert.Contains(Scraped, Lines(servers.PlainTimes));
        Assert.DoesNotContain(Prepared, Lines(servers.PlainTimes));
    }

    private static int Count(string text, string line) => text.Split(line).Length - 1;

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

    /// <summary>Two servers of one directory, one told <c>--no-prepare-scrapes</c>, each with its stage-time file and a client.</summary>
    private sealed class ServerPair : IDisposable
    {
        private readonly TempDirectory _dir;
        private readonly ChorusServeProcess _prepared;
        private readonly ChorusServeProcess _plain;

        private ServerPair(TempDirectory dir, ChorusServeProcess prepared, ChorusServeProcess plain)
        {
            _dir = dir;
            _prepared = prepared;
            _plain = plain;
            PreparedClient = ScrapeClient.Create(prepared.BaseAddress);
            PlainClient = ScrapeClient.Create(plain.BaseAddress);
        }

        public string PreparedTimes => _dir.File("prepared-times.txt");

        public string PlainTimes => _dir.File("plain-times.txt");

        public HttpClient PreparedClient { get; }

        public HttpClient PlainClient { get; }

        public static async Task<ServerPair> StartAsync(string name, int files)
        {
            var dir = new TempDirectory(name);
            ChorusServeProcess? prepared = null;
            try
            {
                LargeDirectory.Write(dir.Path, files);
                prepared = await ServePreparedScrapesTests.StartAsync(dir.Path, dir.File("prepared-times.txt"));
                ChorusServeProcess plain = await ServePreparedScrapesTests.StartAsync(dir.Path, dir.File("plain-times.txt"), "--no-prepare-scrapes");
                return new ServerPair(dir, prepared, plain);
            }
            catch
            {
                prepared?.Dispose();
                dir.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            PreparedClient.Dispose();
            PlainClient.Dispose();
            _prepared.Dispose();
            _plain.Dispose();
            _dir.Dispose();
        }
    }
}
