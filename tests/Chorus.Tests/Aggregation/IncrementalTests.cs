using Chorus.Aggregation;
using Chorus.Files;

namespace Chorus.Tests.Aggregation;

/// <summary>The state kept between collections: new entries parsed once, values re-read, files replaced, shrunk or gone.</summary>
public class IncrementalTests
{
    [Fact]
    public void AppendedEntries_AreParsedOnceAndValuesReRead()
    {
        using var dir = new TempDirectory();
        string path = dir.File("counter_1.db");
        new DbFileBuilder().Add("c", "c_total", 1.0).WriteTo(path);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        Assert.Equal(1.0, DirectoryFixture.Scrape(source).Samples["c_total{}"]);
        Assert.Equal(1, source.LastReport.EntriesParsed);

        UpdateInPlace(path, new DbFileBuilder().Add("c", "c_total", 5.0).Add("c", "c_total", 7.0, labels: ("n", "new")).Build());
        var (samples, _, report) = DirectoryFixture.Scrape(source);

        Assert.Equal(5.0, samples["c_total{}"]);
        Assert.Equal(7.0, samples["c_total{n=\"new\"}"]);
        Assert.Equal(1, report.EntriesParsed);

        var (again, _, unchanged) = DirectoryFixture.Scrape(source);
        Assert.Equal(samples, again);
        Assert.Equal(0, unchanged.EntriesParsed);
    }

    [Fact]
    public void ReplacedFile_IsReadAfresh()
    {
        using var dir = new TempDirectory();
        string path = dir.File("counter_1.db");
        new DbFileBuilder().Add("c", "c_total", 1.0).Add("c", "c_total", 2.0, labels: ("n", "x")).WriteTo(path);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        DirectoryFixture.Scrape(source);

        // A new file (new inode) renamed over the old one, with different keys of the same total size.
        string other = dir.File("tmp");
        new DbFileBuilder().Add("d", "d_total", 3.0).Add("d", "d_total", 4.0, labels: ("n", "y")).WriteTo(other);
        File.Move(other, path, overwrite: true);
        var (samples, _, report) = DirectoryFixture.Scrape(source);

        Assert.Equal(["d_total{n=\"y\"}", "d_total{}"], samples.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, report.EntriesParsed);
    }

    [Fact]
    public void ShrunkFile_IsReadAfresh()
    {
        using var dir = new TempDirectory();
        string path = dir.File("counter_1.db");
        new DbFileBuilder().Add("c", "c_total", 1.0).Add("c", "c_total", 2.0, labels: ("n", "x")).WriteTo(path);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        DirectoryFixture.Scrape(source);

        UpdateInPlace(path, new DbFileBuilder().Add("e", "e_total", 9.0).Build());
        var (samples, _, _) = DirectoryFixture.Scrape(source);

        Assert.Equal(9.0, Assert.Single(samples).Value);
    }

    [Fact]
    public void VanishedFile_StopsContributing()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("g", "g", 1.0).WriteTo(dir.File("gauge_livesum_1.db"));
        new DbFileBuilder().Add("g", "g", 2.0).WriteTo(dir.File("gauge_livesum_2.db"));
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        Assert.Equal(3.0, DirectoryFixture.Scrape(source).Samples["g{}"]);

        File.Delete(dir.File("gauge_livesum_1.db"));

        Assert.Equal(2.0, DirectoryFixture.Scrape(source).Samples["g{}"]);
        File.Delete(dir.File("gauge_livesum_2.db"));
        var (samples, families, report) = DirectoryFixture.Scrape(source);
        Assert.Empty(samples);
        Assert.Empty(families);
        Assert.Equal(0, report.FilesListed);
    }

    [Fact]
    public void GaugeModeChange_RemergesExistingEntries()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("g", "g", 1.0).WriteTo(dir.File("gauge_all_1.db"));
        new DbFileBuilder().Add("g", "g", 2.0).WriteTo(dir.File("gauge_all_2.db"));
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        Assert.Equal(2, DirectoryFixture.Scrape(source).Samples.Count);

        new DbFileBuilder().Add("g", "g", 4.0).WriteTo(dir.File("gauge_max_3.db"));

        Assert.Equal(4.0, Assert.Single(DirectoryFixture.Scrape(source).Samples).Value);
        File.Delete(dir.File("gauge_max_3.db"));
        Assert.Equal(2, DirectoryFixture.Scrape(source).Samples.Count);
    }

    [Fact]
    public async Task ConcurrentCollections_AllSeeCompleteOutput()
    {
        using var dir = new TempDirectory();
        for (int i = 0; i < 20; i++)
        {
            new DbFileBuilder().Add("c", "c_total", 1.0).WriteTo(dir.File($"counter_{i}.db"));
        }

        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        Task<double>[] scrapes = Enumerable.Range(0, 8)
            .Select(_ => Task.Run(() => DirectoryFixture.Scrape(source).Samples["c_total{}"]))
            .ToArray();

        Assert.All(await Task.WhenAll(scrapes), total => Assert.Equal(20.0, total));
    }

    [Fact]
    public void WorkerChurn_KeepsMemoryBoundedByLiveSeries()
    {
        using var dir = new TempDirectory();
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        int firstSlots = 0;
        for (int worker = 0; worker < 50; worker++)
        {
            // One live worker at a time: its all-mode gauge (pid-labelled) and live gauge files.
            new DbFileBuilder().Add("g", "g", worker, labels: ("k", "a")).WriteTo(dir.File($"gauge_all_{worker}.db"));
            new DbFileBuilder().Add("s", "s", 1.0).WriteTo(dir.File($"gauge_livesum_{worker}.db"));
            var (samples, _, _) = DirectoryFixture.Scrape(source);
            Assert.Equal(worker, samples[$"g{{k=\"a\",pid=\"{worker}\"}}"]);
            Assert.Equal(1.0, samples["s{}"]);
            if (worker == 0)
            {
                firstSlots = source.Diagnostics.SlotCount;
            }

            File.Delete(dir.File($"gauge_all_{worker}.db"));
            File.Delete(dir.File($"gauge_livesum_{worker}.db"));
        }

        new DbFileBuilder().Add("g", "g", 7.0, labels: ("k", "a")).WriteTo(dir.File("gauge_all_last.db"));
        new DbFileBuilder().Add("s", "s", 1.0).WriteTo(dir.File("gauge_livesum_last.db"));
        Assert.Equal(2, DirectoryFixture.Scrape(source).Samples.Count);

        Assert.Equal(firstSlots, source.Diagnostics.SlotCount);
    }

    /// <summary>Rewrites a file's bytes through the same inode, as a live writer does.</summary>
    [Fact]
    public void AFileWithAnUnchangedRemovalList_IsUpdatedPerChangedSlot_AndItsRemovedSeriesStaysOut()
    {
        using var dir = new TempDirectory();
        string a = dir.File("counter_1.db");
        new DbFileBuilder().Add("c", "c_total", 1.0).Add("c", "c_total", 10.0, labels: ("k", "x")).WriteTo(a);
        new DbFileBuilder().Add("c", "c_total", 2.0).Add("c", "c_total", 20.0, labels: ("k", "x")).WriteTo(dir.File("counter_2.db"));
        DbRemovedKeys.Write(a, [ReferenceDbKey.Bytes("c", "c_total", [("k", "x")], "help")]);
        using var writer = new MappedTestWriter(a);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        Assert.Equal(20.0, DirectoryFixture.Scrape(source).Samples["c_total{k=\"x\"}"]);

        // Both of the first file's series change, thrice: the file is kept open from its second read, and a sum's first
        // change makes the full merge keep what the per-slot path needs. The list stays the same, so the last change
        // is merged per changed slot: c_total{}, not the removed series, whose new value must stay out.
        Dictionary<string, double> samples = [];
        for (int round = 1; round <= 3; round++)
        {
            writer.Write(new DbFileBuilder().Add("c", "c_total", 1.0 + round).Add("c", "c_total", 10.0 + round, labels: ("k", "x")).Build());
            samples = DirectoryFixture.Scrape(source).Samples;
        }

        Assert.Equal(1, source.Diagnostics.LastSlotsUpdated);
        Assert.Equal(20.0, samples["c_total{k=\"x\"}"]);
        Assert.Equal(6.0, samples["c_total{}"]);

        // A new list is read again.
        DbRemovedKeys.Write(a, [ReferenceDbKey.Bytes("c", "c_total", [], "help")]);
        samples = DirectoryFixture.Scrape(source).Samples;
        Assert.Equal(33.0, samples["c_total{k=\"x\"}"]);
        Assert.Equal(2.0, samples["c_total{}"]);
    }

    private static void UpdateInPlace(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
    }
}
