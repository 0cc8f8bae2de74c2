using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A listing vouches for the directory's names for a limited time; when the next scrape would have to list every name
/// again, a server's reader lists them after the response instead, and counts that listing only when every name is as
/// listed. Whatever changes meanwhile, the next scrape is still a fresh reader's.
/// </summary>
public sealed class NamesCheckedAfterResponseTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);

    // Past the limit's half, so the scrape after it expects the next one past the limit (1.5 gaps).
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(1200);
    private const int FakePids = 4_400_000;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheListingDueByTheNextScrape_IsMadeAfterTheResponse_AndTheScrapeListsNothing(bool watched)
    {
        using var dir = new TempDirectory();
        WriteFiles(dir, 3);
        using MultiProcessDirectory reader = Open(dir.Path, probeAfterCollection: true, watched);
        DirectoryFixture.Text(reader);
        DirectoryFixture.Text(reader);
        Assert.Equal(0, reader.Diagnostics.NamesCheckedAfterResponse);

        // The pace of scrapes says the next one comes after the limit: the names are listed after this response.
        Thread.Sleep(Gap);
        DirectoryFixture.Text(reader);
        Assert.Equal(0, reader.Diagnostics.LastStageTimes.CountOf(CollectionStage.ListEveryName));
        WaitFor(() => reader.Diagnostics.NamesCheckedAfterResponse == 1);

        Thread.Sleep(Gap);
        string scrape = DirectoryFixture.Text(reader);
        Assert.Equal(0, reader.Diagnostics.LastStageTimes.CountOf(CollectionStage.ListEveryName));
        Assert.Equal(Fresh(dir.Path), scrape);
    }

    [Fact]
    public void WithoutWorkAfterResponses_TheScrapePastTheLimitListsEveryName()
    {
        using var dir = new TempDirectory();
        WriteFiles(dir, 3);
        using MultiProcessDirectory reader = Open(dir.Path, probeAfterCollection: false, watched: true);
        DirectoryFixture.Text(reader);
        DirectoryFixture.Text(reader);
        Thread.Sleep(Gap);
        DirectoryFixture.Text(reader);
        Thread.Sleep(Gap);
        DirectoryFixture.Text(reader);
        Assert.Equal(1, reader.Diagnostics.LastStageTimes.CountOf(CollectionStage.ListEveryName));
        Assert.Equal(0, reader.Diagnostics.NamesCheckedAfterResponse);
    }

    [Theory]
    [InlineData("add", true)]
    [InlineData("remove", true)]
    [InlineData("replace", true)]
    [InlineData("add", false)]
    [InlineData("remove", false)]
    [InlineData("replace", false)]
    public void ANameChangedJustBeforeTheCheck_IsNotVouchedFor_AndTheNextScrapeTakesItIn(string change, bool watched)
    {
        using var dir = new TempDirectory();
        WriteFiles(dir, 3);
        int armed = 0;
        int changed = 0;
        using MultiProcessDirectory reader = Open(dir.Path, probeAfterCollection: true, watched, beforeWork: () =>
        {
            if (Interlocked.Exchange(ref armed, 0) == 1)
            {
                Change(dir, change);
                Interlocked.Increment(ref changed);
            }
        });
        DirectoryFixture.Text(reader);
        DirectoryFixture.Text(reader);

        Thread.Sleep(Gap);
        Volatile.Write(ref armed, 1);
        DirectoryFixture.Text(reader);
        WaitFor(() => Volatile.Read(ref changed) == 1);

        // The change was made inside the work after the response, under the reader's lock: once the lock is free (a read
        // of the diagnostics that takes it), that work has ended, and it vouched for nothing. Counted now, not after the
        // next scrape, whose own work after its response may rightly vouch for the names it took in (on a loaded machine
        // it can run before this thread reads the count).
        _ = reader.Diagnostics.RenderingsKept;
        int vouched = reader.Diagnostics.NamesCheckedAfterResponse;

        // The next scrape takes the change in.
        Thread.Sleep(Gap);
        string scrape = DirectoryFixture.Text(reader);
        string fresh = Fresh(dir.Path);

        // This case failed twice in full local runs on a loaded machine, never alone: say what the reader did.
        CollectionStageTimes times = reader.Diagnostics.LastStageTimes;
        string state = $"vouched {vouched}; the scrape listed every name {times.CountOf(CollectionStage.ListEveryName)}, "
            + $"watch events {times.CountOf(CollectionStage.ListWatchEvents)}, look-ups {times.CountOf(CollectionStage.ListLookUp)}, "
            + $"listing skipped {reader.Diagnostics.LastListingSkipped}; scrape {Total(scrape)}, fresh {Total(fresh)}";
        Assert.True(vouched == 0, state);
        Assert.True(fresh == scrape, state);
        Assert.True(Total(scrape) == (change == "remove" ? "c_total 3.0" : change == "add" ? "c_total 10.0" : "c_total 106.0"), state);
    }

    private static string Total(string exposition) =>
        exposition.Split('\n').FirstOrDefault(line => line.StartsWith("c_total ", StringComparison.Ordinal)) ?? "(no c_total)";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ChangesAfterTheCheck_AreSeenByTheNextScrape(bool watched)
    {
        using var dir = new TempDirectory();
        WriteFiles(dir, 3);
        using MultiProcessDirectory reader = Open(dir.Path, probeAfterCollection: true, watched);
        DirectoryFixture.Text(reader);
        DirectoryFixture.Text(reader);
        Thread.Sleep(Gap);
        DirectoryFixture.Text(reader);
        WaitFor(() => reader.Diagnostics.NamesCheckedAfterResponse == 1);

        foreach (string change in new[] { "add", "replace", "remove" })
        {
            Change(dir, change);
            Assert.Equal(Fresh(dir.Path), DirectoryFixture.Text(reader));
        }
    }

    /// <summary>Counters 1, 2, 3, ... in files of PIDs <see cref="FakePids"/> + 1 on, settled (so a listing can vouch for them).</summary>
    private static void WriteFiles(TempDirectory dir, int count)
    {
        for (int i = 1; i <= count; i++)
        {
            new DbFileBuilder(capacity: 4096).Add("c", "c_total", i).WriteTo(dir.File($"counter_{FakePids + i}.db"));
        }

        Thread.Sleep(Settle * 3);
    }

    /// <summary>
    /// From counters 1, 2, 3: adds a file of 4 (10 in all), removes the file of 3 (3 in all), or puts a file of 103 in
    /// place of the file of 3 (106 in all), as a new file renamed over it.
    /// </summary>
    private static void Change(TempDirectory dir, string change)
    {
        switch (change)
        {
            case "add":
                new DbFileBuilder(capacity: 4096).Add("c", "c_total", 4.0).WriteTo(dir.File($"counter_{FakePids + 4}.db"));
                break;
            case "remove":
                File.Delete(dir.File($"counter_{FakePids + 3}.db"));
                break;
            default:
                string temporary = new DbFileBuilder(capacity: 4096).Add("c", "c_total", 103.0).WriteTo(dir.File("replacement.tmp"));
                File.Move(temporary, dir.File($"counter_{FakePids + 3}.db"), overwrite: true);
                break;
        }
    }

    // Without the directory watch (which freezing dead files starts), the directory's change time says what changed.
    private static MultiProcessDirectory Open(string path, bool probeAfterCollection, bool watched, Action? beforeWork = null) =>
        MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions
        {
            ProbeAfterCollection = probeAfterCollection,
            FreezeDeadFiles = watched,
            ListingSettleTime = Settle,
            ListingReuseLimit = Limit,
            BeforeProbesAfterResponse = beforeWork,
        });

    private static string Fresh(string path)
    {
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions { MaxKeptFiles = 0 });
        return DirectoryFixture.Text(fresh);
    }

    private static void WaitFor(Func<bool> condition)
    {
        for (int i = 0; i < 1000 && !condition(); i++)
        {
            Thread.Sleep(10);
        }

        Assert.True(condition(), "the work after the response did not run within 10 s");
    }
}
