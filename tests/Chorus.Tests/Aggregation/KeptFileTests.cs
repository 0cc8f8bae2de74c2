using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>Files kept open and mapped between collections still see every change a path read would.</summary>
public class KeptFileTests
{
    [Fact]
    public void RenamedOverFile_IsDetectedEvenWithIdenticalKeysAndSize()
    {
        using var dir = new TempDirectory();
        string path = dir.File("counter_archive.db");
        new DbFileBuilder().Add("c", "c_total", 1.0).WriteTo(path);
        using MultiProcessDirectory source = Warm(dir.Path);

        // Same keys, same size, new inode: only the identity check can tell (compaction writes archives so).
        string next = dir.File("archive.tmp");
        new DbFileBuilder().Add("c", "c_total", 42.0).WriteTo(next);
        File.Move(next, path, overwrite: true);

        Assert.Equal(42.0, DirectoryFixture.Scrape(source).Samples["c_total{}"]);
    }

    [Fact]
    public void FileGrowingPastItsMapping_IsRemapped()
    {
        using var dir = new TempDirectory();
        string path = dir.File("counter_1.db");
        new DbFileBuilder(capacity: 4096).Add("c", "c_total", 1.0).WriteTo(path);
        using MultiProcessDirectory source = Warm(dir.Path);

        var builder = new DbFileBuilder(capacity: 1 << 17).Add("c", "c_total", 2.0);
        for (int i = 0; i < 1500; i++)
        {
            builder.Add("c", "c_total", i, labels: ("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        UpdateInPlace(path, builder.Build());
        var (samples, _, report) = DirectoryFixture.Scrape(source);

        Assert.Equal(2.0, samples["c_total{}"]);
        Assert.Equal(1499.0, samples["c_total{i=\"1499\"}"]);
        Assert.Equal(1500, report.EntriesParsed);
    }

    [Fact]
    public void ValuesWrittenInPlace_AreSeenByTheNextCollection()
    {
        using var dir = new TempDirectory();
        string path = dir.File("gauge_livesum_1.db");
        new DbFileBuilder().Add("g", "g", 1.0).WriteTo(path);
        using MultiProcessDirectory source = Warm(dir.Path);

        for (int i = 2; i < 5; i++)
        {
            UpdateInPlace(path, new DbFileBuilder().Add("g", "g", i).Build());
            Assert.Equal(i, DirectoryFixture.Scrape(source).Samples["g{}"]);
        }
    }

    [Fact]
    public void DeletedAndShrunkFiles_AreDroppedOrReread()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("a", "a_total", 1.0).WriteTo(dir.File("counter_1.db"));
        string shrinking = new DbFileBuilder().Add("b", "b_total", 1.0).Add("b", "b_total", 2.0, labels: ("x", "y")).WriteTo(dir.File("counter_2.db"));
        using MultiProcessDirectory source = Warm(dir.Path);

        File.Delete(dir.File("counter_1.db"));
        UpdateInPlace(shrinking, new DbFileBuilder(capacity: 64).Add("z", "z_total", 3.0).Build());
        var (samples, _, report) = DirectoryFixture.Scrape(source);

        Assert.Equal(["z_total{}"], samples.Keys);
        Assert.Empty(report.Problems);
    }

    [Fact]
    public void ReadBufferGrownForALargeFile_IsLetGoOnceTheFileIsKept()
    {
        using var dir = new TempDirectory();
        var builder = new DbFileBuilder();
        for (int i = 0; i < 30_000; i++)
        {
            builder.Add("c", "c_total", i, labels: ("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        builder.WriteTo(dir.File("counter_1.db"));
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        DirectoryFixture.Scrape(source);
        Assert.True(source.Diagnostics.ReadBufferLength > Chorus.Internal.ReadBuffers.PooledLimit, "the first collection reads the file by path");

        // Mapped from the second collection on: nothing needs the large buffer any more.
        DirectoryFixture.Scrape(source);
        DirectoryFixture.Scrape(source);
        Assert.True(source.Diagnostics.ReadBufferLength <= Chorus.Internal.ReadBuffers.PooledLimit);
        Assert.Equal(29_999.0, DirectoryFixture.Scrape(source).Samples["c_total{i=\"29999\"}"]);
    }

    [Fact]
    public void IdleFiles_AreLetGoAfterAConfiguredIdleTimeout()
    {
        using var dir = new TempDirectory();
        string path = dir.File("counter_1.db");
        new DbFileBuilder().Add("c", "c_total", 1.0).WriteTo(path);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { KeptFileIdleTimeout = TimeSpan.FromSeconds(2) });
        DirectoryFixture.Scrape(source);
        DirectoryFixture.Scrape(source);
        Assert.Equal(1, source.LastReport.FilesKeptOpen);
        Assert.Contains(path, Directory.GetFiles("/proc/self/fd").Select(fd => new FileInfo(fd).LinkTarget));

        // Generous margins both ways: two back-to-back scrapes are far closer than 2 s even on a loaded machine.
        Thread.Sleep(2500);
        Assert.Equal(1.0, DirectoryFixture.Scrape(source).Samples["c_total{}"]);
        Assert.Equal(0, source.LastReport.FilesKeptOpen);
        Assert.DoesNotContain(path, Directory.GetFiles("/proc/self/fd").Select(fd => new FileInfo(fd).LinkTarget));

        // A value changes again: the file is worth keeping again.
        UpdateInPlace(path, new DbFileBuilder().Add("c", "c_total", 2.0).Build());
        Assert.Equal(2.0, DirectoryFixture.Scrape(source).Samples["c_total{}"]);
        Assert.Equal(1, source.LastReport.FilesKeptOpen);
    }

    [Fact]
    public void OneCollection_NeverKeepsFiles()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("c", "c_total", 1.0).WriteTo(dir.File("counter_1.db"));
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);

        DirectoryFixture.Scrape(source);

        Assert.Equal(0, source.LastReport.FilesKeptOpen);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16384)]
    public void AnyBudget_GivesTheSameOutput(int maxKeptFiles)
    {
        string vector = Path.Combine(RepoPaths.Vectors, "v16", "seed-3");
        using MultiProcessDirectory reference = MultiProcessDirectory.Open(vector, new MultiProcessDirectoryOptions { MaxKeptFiles = 0 });
        string expected = DirectoryFixture.Text(reference);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(vector, new MultiProcessDirectoryOptions { MaxKeptFiles = maxKeptFiles });

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected, DirectoryFixture.Text(source));
        }

        Assert.Equal(Math.Min(maxKeptFiles, source.LastReport.FilesListed), source.LastReport.FilesKeptOpen);
    }

    [Fact]
    public void FileNewToAWarmReader_IsKeptFromItsFirstRead_AndReadAsAFreshReaderReadsIt()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("c", "c_total", 1.0).WriteTo(dir.File("counter_1.db"));
        using MultiProcessDirectory source = Warm(dir.Path);

        // A new worker's file is kept from its first read: every later write is seen.
        string path = new DbFileBuilder().Add("c", "c_total", 2.0).Add("c", "c_total", 3.0, labels: ("a", "b")).WriteTo(dir.File("counter_2.db"));
        AssertReadAsFresh(source);
        Assert.Equal(2, source.LastReport.FilesKeptOpen);
        UpdateInPlace(path, new DbFileBuilder().Add("c", "c_total", 5.0).Add("c", "c_total", 7.0, labels: ("a", "b")).Add("d", "d_total", 1.0).Build());
        AssertReadAsFresh(source);

        // New files that are not clean: only a header, a header claiming more than the file holds, a key that does not decode.
        new DbFileBuilder().WriteTo(dir.File("counter_3.db"));
        byte[] claiming = new DbFileBuilder(capacity: 4096).Add("c", "c_total", 4.0).Build();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(claiming, 8192);
        File.WriteAllBytes(dir.File("counter_4.db"), claiming);
        new DbFileBuilder().Add("c", "c_total", 8.0).AddRaw([0xff, 0xfe, 0x7b], 16.0).WriteTo(dir.File("counter_5.db"));
        AssertReadAsFresh(source);
        Assert.Equal(2, source.LastReport.FilesKeptOpen);
        AssertReadAsFresh(source);
    }

    /// <summary>The warm reader's next collection is a fresh reader's: the same text and the same problems.</summary>
    private static void AssertReadAsFresh(MultiProcessDirectory source)
    {
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(source.Directory);
        Assert.Equal(DirectoryFixture.Text(fresh), DirectoryFixture.Text(source));
        Assert.Equal(
            fresh.LastReport.Problems.Select(p => (p.FileName, p.Kind, p.Reason, p.Damage, p.EntriesKept)).OrderBy(p => p.FileName),
            source.LastReport.Problems.Select(p => (p.FileName, p.Kind, p.Reason, p.Damage, p.EntriesKept)).OrderBy(p => p.FileName));
    }

    /// <summary>Opens and collects three times, so every file is kept open and mapped.</summary>
    private static MultiProcessDirectory Warm(string dir)
    {
        MultiProcessDirectory source = MultiProcessDirectory.Open(dir);
        for (int i = 0; i < 3; i++)
        {
            DirectoryFixture.Scrape(source);
        }

        Assert.Equal(source.LastReport.FilesListed, source.LastReport.FilesKeptOpen);
        return source;
    }

    private static void UpdateInPlace(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
    }
}
