using Chorus.Aggregation;
using Chorus.Exposition;
using Chorus.Files;
using FsCheck.Xunit;

using static Chorus.Tests.Aggregation.RandomDbFiles;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A warm collection merges again only the families whose entries changed and skips listing a directory whose
/// names did not change; whatever happens between collections, its output must be what a fresh reader gives.
/// </summary>
public class FamilyReuseTests
{
    // Short, so a test can make the directory's last change count as settled with a brief pause.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void UnchangedDirectory_ReusesEveryFamilyAndSkipsTheListing()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder(capacity: 4096).Add("a", "a_total", 1.5).WriteTo(dir.File("counter_1.db"));
        new DbFileBuilder(capacity: 4096).Add("b", "b", 2.5).WriteTo(dir.File("gauge_livesum_1.db"));
        using MultiProcessDirectory source = Open(dir.Path);
        string first = DirectoryFixture.Text(source);
        Assert.Equal(2, source.Diagnostics.LastFamiliesMerged);
        Thread.Sleep(Settle * 3);

        DirectoryFixture.Text(source);
        Assert.Equal(first, DirectoryFixture.Text(source));
        Assert.Equal(0, source.Diagnostics.LastFamiliesMerged);
        Assert.True(source.Diagnostics.LastListingSkipped);

        // A value written in place changes one family only, and no name.
        WriteInPlace(dir.File("gauge_livesum_1.db"), new DbFileBuilder(capacity: 4096).Add("b", "b", 7.25).Build());
        Assert.Contains("b 7.25", DirectoryFixture.Text(source), StringComparison.Ordinal);
        Assert.Equal(1, source.Diagnostics.LastFamiliesMerged);
        Assert.True(source.Diagnostics.LastListingSkipped);

        // A new file changes the names: listed again, and its family merged again.
        new DbFileBuilder(capacity: 4096).Add("a", "a_total", 2.0).WriteTo(dir.File("counter_2.db"));
        Assert.Contains("a_total 3.5", DirectoryFixture.Text(source), StringComparison.Ordinal);
        Assert.False(source.Diagnostics.LastListingSkipped);
        Assert.Equal(1, source.Diagnostics.LastFamiliesMerged);
    }

    [Fact]
    public void RecentlyChangedDirectory_IsListedEveryTime()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder(capacity: 4096).Add("a", "a_total", 1.0).WriteTo(dir.File("counter_1.db"));
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        DirectoryFixture.Text(source);
        DirectoryFixture.Text(source);

        // With the default settle time the directory changed too recently for its times to be trusted.
        Assert.False(source.Diagnostics.LastListingSkipped);
    }

    [Property(MaxTest = 40)]
    public bool RandomChanges_KeepWarmReadersEqualToAFreshOne(int seed)
    {
        var random = new Random(seed);
        using var dir = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        int nextId = 1;
        for (int i = 0; i < 5; i++)
        {
            AddFile(dir, files, random, nextId++);
        }

        Thread.Sleep(Settle * 2);
        using MultiProcessDirectory kept = Open(dir.Path, splitMerge: true);
        using MultiProcessDirectory unkept = Open(dir.Path, maxKeptFiles: 0, frameworkListing: true);
        for (int step = 0; step < 12; step++)
        {
            // Both formats from one reader: each keeps its own formatted bytes per family.
            (string expected, string expectedOpenMetrics) = FreshTexts(dir.Path);
            if (DirectoryFixture.Text(kept) != expected || DirectoryFixture.Text(unkept) != expected
                || DirectoryFixture.Text(kept, ExpositionFormat.OpenMetrics) != expectedOpenMetrics)
            {
                return false;
            }

            if (Change(dir, files, random, ref nextId))
            {
                // Names changed: let the change settle so the next listing is trusted and later ones may be skipped.
                Thread.Sleep(Settle * 2);
            }
        }

        return true;
    }

    // The unkept reader also lists the way platforms without getdents64 do; a split merge folds every merge with two
    // families or more on several threads (MergePartition), which the fresh reader compared with never does.
    private static MultiProcessDirectory Open(string path, int maxKeptFiles = 16384, bool frameworkListing = false, bool splitMerge = false) =>
        MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions
        {
            MaxKeptFiles = maxKeptFiles,
            ListingSettleTime = Settle,
            FrameworkListing = frameworkListing,
            ParallelMergeMinimumEntries = splitMerge ? 0 : MultiProcessDirectoryOptions.Default.ParallelMergeMinimumEntries,
        });

    private static (string Text, string OpenMetrics) FreshTexts(string path)
    {
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions { MaxKeptFiles = 0 });
        using MultiProcessDirectory freshOpenMetrics = MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions { MaxKeptFiles = 0 });
        return (DirectoryFixture.Text(fresh), DirectoryFixture.Text(freshOpenMetrics, ExpositionFormat.OpenMetrics));
    }

    /// <summary>Applies one random change; true when it created, deleted or renamed a name in the directory.</summary>
    private static bool Change(TempDirectory dir, Dictionary<string, List<Entry>> files, Random random, ref int nextId)
    {
        string name = files.Keys.Order(StringComparer.Ordinal).ElementAt(random.Next(files.Count));
        List<Entry> entries = files[name];
        switch (random.Next(10))
        {
            case 0 or 1 or 2:
                // Values written in place: the common case, several entries at once.
                for (int i = 0; i < 1 + random.Next(3); i++)
                {
                    Entry entry = entries[random.Next(entries.Count)];
                    entries[entries.IndexOf(entry)] = entry with { Value = NextValue(random), Timestamp = entry.Timestamp + 1 + random.Next(5) };
                }

                WriteInPlace(dir.File(name), Build(entries));
                return false;
            case 3:
                entries.Add(NewEntry(name, random, entries.Count + random.Next(100)));
                WriteInPlace(dir.File(name), Build(entries));
                return false;
            case 4:
                AddFile(dir, files, random, nextId++);
                return true;
            case 5 when files.Count > 1:
                File.Delete(dir.File(name));
                File.Delete(DbRemovedKeys.PathFor(dir.File(name)));
                files.Remove(name);
                return true;
            case 6:
                // Replaced by a rename, as a compaction does.
                List<Entry> replacement = [NewEntry(name, random, 0), NewEntry(name, random, 1)];
                File.WriteAllBytes(dir.File("next.tmp"), Build(replacement));
                File.Move(dir.File("next.tmp"), dir.File(name), overwrite: true);
                files[name] = replacement;
                return true;
            case 7 when entries.Count > 1:
                // Shrunk in place: entries only get appended by writers, so the reader must start the file afresh.
                entries.RemoveAt(entries.Count - 1);
                WriteInPlace(dir.File(name), Build(entries), truncate: random.Next(2) == 0);
                return false;
            case 8:
                RandomDbFiles.ChangeRemovalList(dir.File(name), entries, random);
                return true;
            case 9:
                // Damaged in the middle of the last entry: the entries before it still count.
                byte[] bytes = Build(entries);
                int used = DbFormat.ReadUsed(bytes);
                bytes.AsSpan(used - 12, 4).Fill(0xFF);
                WriteInPlace(dir.File(name), bytes);
                return false;
            default:
                return false;
        }
    }

    private static void WriteInPlace(string path, byte[] bytes, bool truncate = false)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(bytes);
        if (truncate)
        {
            stream.SetLength(bytes.Length - 1024);
        }
    }
}
