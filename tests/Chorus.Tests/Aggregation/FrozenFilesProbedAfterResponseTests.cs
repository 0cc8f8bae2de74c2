using System.Buffers;
using System.Text;
using Chorus.Exposition;
using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// Every <see cref="FrozenFilesTests"/> case again with the freezing probes (and the listings of every name that fall
/// due) made after each response, on the thread pool, as a server's reader makes them: whether a probe runs before the next scrape or that scrape runs it first, and
/// whatever is written meanwhile, the next scrape must be a fresh reader's.
/// </summary>
public sealed class FrozenFilesProbedAfterResponseTests : FrozenFilesTests
{
    protected override bool ProbeAfterCollection => true;

    // Short enough that the listing of every name falls due every few steps, so it is made after responses too, in a
    // race with the next scrape and whatever the step changes.
    protected override TimeSpan ListingReuseLimit => TimeSpan.FromMilliseconds(150);

    [Fact]
    public void TheScrape_LeavesItsProbes_AndAWriteBeforeOrAfterThemIsSeen()
    {
        using var dir = new TempDirectory();
        string path = new DbFileBuilder(capacity: 4096).Add("c", "c_total", 1.0).WriteTo(dir.File("counter_3900001.db"));
        new DbFileBuilder(capacity: 4096).Add("c", "c_total", 2.0).WriteTo(dir.File("counter_3900002.db"));
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions
        {
            ProbeAfterCollection = true,
            ListingSettleTime = TimeSpan.FromMilliseconds(10),
        });

        // The second scrape offers both files; it probes none of them itself.
        DirectoryFixture.Text(reader);
        DirectoryFixture.Text(reader);
        Assert.Equal(0, reader.Diagnostics.LastStageTimes.CountOf(CollectionStage.Freeze));

        // A dead PID reused between the scrape and its probes (or after them): the next scrape sees the write.
        MappedTestWriter.WriteOnce(path, new DbFileBuilder(capacity: 4096).Add("c", "c_total", 5.0).Build());
        Assert.Contains("c_total 7.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
        for (int i = 0; i < 4 && reader.Diagnostics.FrozenFileCount != 2; i++)
        {
            DirectoryFixture.Text(reader);
        }

        Assert.Equal(2, reader.Diagnostics.FrozenFileCount);
        MappedTestWriter.WriteOnce(path, new DbFileBuilder(capacity: 4096).Add("c", "c_total", 6.0).Build());
        Assert.Contains("c_total 8.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
    }

    [Fact]
    public void APreparedScrape_FindsNoFileFrozenSinceItsPreparation_SoAChangedValueIsUpdatedInItsSlot()
    {
        using var dir = new TempDirectory();
        string live = Counter(1.0).WriteTo(dir.File("counter_3900001.db"));
        string dying = Counter(2.0).WriteTo(dir.File("counter_3900002.db"));
        using var writer = new MappedTestWriter(live);
        var dyingWriter = new MappedTestWriter(dying);
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions
        {
            ProbeAfterCollection = true,
            ListingSettleTime = TimeSpan.FromMilliseconds(10),
        });

        // Scrapes (each followed by its probes, which find both files held) until the counter's changes take the
        // per-slot path (the files are kept from their second read, and a sum's changes need a full merge or two to keep
        // what that path needs).
        for (int round = 1; round <= 8 && reader.Diagnostics.LastSlotsUpdated == 0; round++)
        {
            writer.Write(Counter(1.0 + round).Build());
            ScrapeWithoutItsProbes(reader);
            Assert.Equal(0, reader.Diagnostics.FrozenFileCount);
        }

        Assert.Equal(1, reader.Diagnostics.LastSlotsUpdated);

        // A writer exits; the preparation of the next scrape finds its file unchanged and offers it for freezing.
        dyingWriter.Dispose();
        Assert.NotNull(reader.CollectAhead(new ArrayBufferWriter<byte>(), ExpositionFormat.PrometheusText, EscapingScheme.Underscores));

        // A value changes before the scrape: the scrape folds it into its slot, with no file frozen since the preparation
        // (which would have the family merged again without it).
        writer.Write(Counter(9.0).Build());
        string scraped = ScrapeWithoutItsProbes(reader);
        Assert.Equal(1, reader.Diagnostics.LastSlotsUpdated);
        Assert.Equal(0, reader.Diagnostics.LastStageTimes.CountOf(CollectionStage.AddFrozen));
        Assert.Contains("c_total 11.0", scraped, StringComparison.Ordinal);
        using (MultiProcessDirectory fresh = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { MaxKeptFiles = 0 }))
        {
            Assert.Equal(DirectoryFixture.Text(fresh), scraped);
        }

        // The scrape's probes freeze it, after its response.
        Assert.Equal(1, reader.Diagnostics.FrozenFileCount);
    }

    [Fact]
    public async Task AFaultInTheProbesAfterAResponse_IsReported_AndTheFilesAreReadAsLiveFiles()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder(capacity: 4096).Add("c", "c_total", 1.0).WriteTo(dir.File("counter_3900001.db"));
        string path = new DbFileBuilder(capacity: 4096).Add("c", "c_total", 2.0).WriteTo(dir.File("counter_3900002.db"));
        int faults = 0;
        using var events = new ChorusWarnings("FreezeProbesFailed");
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions
        {
            ProbeAfterCollection = true,
            ListingSettleTime = TimeSpan.FromMilliseconds(10),
            BeforeProbesAfterResponse = () =>
            {
                Interlocked.Increment(ref faults);
                throw new InvalidOperationException("probe fault for the test");
            },
        });

        // The second scrape leaves its probes to the thread pool (DirectoryFixture.Text starts them as a server does once
        // the response is sent), where the fault must be caught (or the test host ends).
        DirectoryFixture.Text(reader);
        DirectoryFixture.Text(reader);
        string reason = await events.First.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("probe fault for the test", reason, StringComparison.Ordinal);
        Assert.True(Volatile.Read(ref faults) >= 1);

        // Nothing was frozen, and a write to a file is seen as to any live file.
        MappedTestWriter.WriteOnce(path, new DbFileBuilder(capacity: 4096).Add("c", "c_total", 5.0).Build());
        Assert.Contains("c_total 6.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
    }

    private static DbFileBuilder Counter(double value) => new DbFileBuilder(capacity: 4096).Add("c", "c_total", value);

    /// <summary>A scrape whose freezing probes are left pending (a server would start them once the response is sent).</summary>
    private static string ScrapeWithoutItsProbes(MultiProcessDirectory reader)
    {
        var output = new ArrayBufferWriter<byte>();
        reader.Collect(output, ExpositionFormat.PrometheusText);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
