using Chorus.Aggregation;
using Chorus.Files;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A read that copies a file's header and entries in one go may see the header count a writer's newest entry while
/// the entry's bytes still look zeroed (the copy loads them out of order). Such a file is read once more, header
/// first, before it is called damaged; a file still damaged then is reported as before, after one more read only.
/// Each test fails without the second read (checked by removing it).
/// </summary>
public sealed class TornReadTests
{
    private const string Third = "c_total{n=\"c\"}";

    /// <summary>
    /// The file as the writer left it (three entries), as a torn read sees it (the third entry zeroed), and as it was
    /// before the third entry (its header counting two).
    /// </summary>
    private static (byte[] Whole, byte[] Torn, byte[] Before) ThreeEntryFile()
    {
        var builder = new DbFileBuilder().Add("c", "c_total", 1.0, labels: ("n", "a")).Add("c", "c_total", 2.0, labels: ("n", "b")).Add("c", "c_total", 3.0, labels: ("n", "c"));
        byte[] whole = builder.Build();
        byte[] torn = (byte[])whole.Clone();
        Array.Clear(torn, builder.EntryOffsets[2], DbFormat.ReadUsed(whole) - builder.EntryOffsets[2]);
        byte[] before = (byte[])torn.Clone();
        DbFormat.WriteUsed(before, builder.EntryOffsets[2]);
        return (whole, torn, before);
    }

    [Fact]
    public void AnEntryTheHeaderCounts_SeenZeroed_IsReadAgain_NotReportedDamaged()
    {
        using var dir = new TempDirectory();
        (byte[] whole, byte[] torn, _) = ThreeEntryFile();
        string path = dir.File("counter_1.db");
        File.WriteAllBytes(path, torn);
        var rereads = new List<string>();
        var options = new MultiProcessDirectoryOptions
        {
            // The writer's stores reach the reader between the torn read and the second one.
            BeforeDamagedFileReread = name => { rereads.Add(name); File.WriteAllBytes(path, whole); },
        };

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path, options);

        Assert.Empty(report.Problems);
        Assert.Equal(3.0, samples[Third]);
        Assert.Equal(["counter_1.db"], rereads);
    }

    [Fact]
    public void AKeptFileWhoseNewestEntryLooksZeroed_IsReadAgainByPath()
    {
        using var dir = new TempDirectory();
        (byte[] whole, byte[] torn, byte[] before) = ThreeEntryFile();
        string path = dir.File("counter_1.db");
        File.WriteAllBytes(path, before);
        var rereads = new List<string>();
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions
        {
            BeforeDamagedFileReread = name => { rereads.Add(name); WriteInPlace(path, whole); },
        });
        DirectoryFixture.Scrape(source);
        DirectoryFixture.Scrape(source);

        // In place, as a live writer appends: the kept mapping sees the header count the zeroed third entry.
        WriteInPlace(path, torn);
        var (samples, _, report) = DirectoryFixture.Scrape(source);

        Assert.Empty(report.Problems);
        Assert.Equal(3.0, samples[Third]);
        Assert.Equal(["counter_1.db"], rereads);
    }

    [Fact]
    public void AFileStillDamagedWhenReadAgain_IsReported_KeepingTheEntriesBeforeTheDamage()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        File.WriteAllBytes(dir.File("counter_2.db"), ThreeEntryFile().Torn);
        int rereads = 0;
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { BeforeDamagedFileReread = _ => rereads++ });

        for (int collection = 1; collection <= 3; collection++)
        {
            var (samples, _, report) = DirectoryFixture.Scrape(source);

            FileProblem problem = Assert.Single(report.Problems);
            Assert.Equal(("counter_2.db", FileProblemKind.Damaged), (problem.FileName, problem.Kind));
            Assert.Equal(2.0, samples["c_total{n=\"b\"}"]);
            Assert.False(samples.ContainsKey(Third));
            Assert.Equal(collection, rereads);
        }
    }

    private static void WriteInPlace(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(bytes);
    }
}
