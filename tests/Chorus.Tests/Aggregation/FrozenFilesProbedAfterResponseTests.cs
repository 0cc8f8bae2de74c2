using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// Every <see cref="FrozenFilesTests"/> case again with the freezing probes made after each response, on the thread pool,
/// as a server's reader makes them: whether a probe runs before the next scrape or that scrape runs it first, and
/// whatever is written meanwhile, the next scrape must be a fresh reader's.
/// </summary>
public sealed class FrozenFilesProbedAfterResponseTests : FrozenFilesTests
{
    protected override bool ProbeAfterCollection => true;

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
        Assert.Equal(0, reader.LastStageTimes.CountOf(CollectionStage.Freeze));

        // A dead PID reused between the scrape and its probes (or after them): the next scrape sees the write.
        MappedTestWriter.WriteOnce(path, new DbFileBuilder(capacity: 4096).Add("c", "c_total", 5.0).Build());
        Assert.Contains("c_total 7.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
        for (int i = 0; i < 4 && reader.FrozenFileCount != 2; i++)
        {
            DirectoryFixture.Text(reader);
        }

        Assert.Equal(2, reader.FrozenFileCount);
        MappedTestWriter.WriteOnce(path, new DbFileBuilder(capacity: 4096).Add("c", "c_total", 6.0).Build());
        Assert.Contains("c_total 8.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
    }
}
