using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A collection that fails half way (out of memory, say) may have taken in new values it never merged: the reader must
/// not keep serving the sums without them, nor add later changes to sums that missed them.
/// </summary>
public sealed class FailedCollectionTests
{
    [Theory]
    [InlineData(nameof(CollectionStage.Watch))]
    [InlineData(nameof(CollectionStage.MarkChanged))]
    [InlineData(nameof(CollectionStage.MergeSlots))]
    [InlineData(nameof(CollectionStage.CountEntries))]
    [InlineData(nameof(CollectionStage.Merge))]
    [InlineData(nameof(CollectionStage.Emit))]
    [InlineData(nameof(CollectionStage.Forget))]
    [InlineData(nameof(CollectionStage.Report))]
    public void ACollectionThatFailsAfterAnyStage_IsFollowedByOneThatServesEveryValue(string failAfter)
    {
        using var dir = new TempDirectory();
        Write(dir, first: 1.0, second: 2.0, gauge: 3.0);
        CollectionStage? fail = null;
        var options = new MultiProcessDirectoryOptions
        {
            AfterStage = stage =>
            {
                if (stage == fail)
                {
                    fail = null;
                    throw new InjectedFailure();
                }
            },
        };
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path, options);
        Assert.Equal(3.0, DirectoryFixture.Scrape(source).Samples["c_total{}"]);

        Write(dir, first: 10.0, second: 2.0, gauge: 4.0);
        fail = Enum.Parse<CollectionStage>(failAfter);
        Assert.Throws<InjectedFailure>(() => DirectoryFixture.Scrape(source));
        Assert.Null(fail);

        Assert.Equal(FreshText(dir), DirectoryFixture.Text(source));
        Assert.Equal(12.0, DirectoryFixture.Scrape(source).Samples["c_total{}"]);

        // Later changes add up from the values as they are, not from the ones the failed collection half took in.
        Write(dir, first: 10.0, second: 20.0, gauge: 5.0);
        Assert.Equal(FreshText(dir), DirectoryFixture.Text(source));
        Assert.Equal(30.0, DirectoryFixture.Scrape(source).Samples["c_total{}"]);
    }

    private static string FreshText(TempDirectory dir)
    {
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(dir.Path);
        return DirectoryFixture.Text(fresh);
    }

    // Values written in place, as a live writer does (the files keep their inodes and lengths).
    private static void Write(TempDirectory dir, double first, double second, double gauge)
    {
        WriteInPlace(dir.File("counter_1.db"), new DbFileBuilder().Add("c", "c_total", first).Add("h", "h_count", first, labels: ("k", "v")).Build());
        WriteInPlace(dir.File("counter_2.db"), new DbFileBuilder().Add("c", "c_total", second).Add("h", "h_count", second, labels: ("k", "v")).Build());
        WriteInPlace(dir.File("gauge_all_1.db"), new DbFileBuilder().Add("g", "g", gauge).Build());
    }

    private static void WriteInPlace(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
    }

    private sealed class InjectedFailure : Exception;
}
