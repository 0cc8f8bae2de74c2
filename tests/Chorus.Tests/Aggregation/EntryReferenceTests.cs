using Chorus.Aggregation;
using Chorus.Files;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A cold pass compares each file's entries with a reference file of its kind on the thread that read it, and the
/// thread that resolves keys shares entry arrays on that word alone: a file that differs from the reference in any
/// key byte, key length, offset or layout must not match, and one that differs only in its values must.
/// </summary>
public sealed class EntryReferenceTests
{
    [Fact]
    public void OnlyTheValuesMayDiffer()
    {
        (byte[] data, WalkedEntries walked) reference = Walk(File("a", 1.0, ValueLayout.Value8));
        EntryReference made = EntryReference.Of(reference.data, reference.walked, DbFormat.ReadUsed(reference.data))!;

        Assert.True(Matches(made, File("a", 1.0, ValueLayout.Value8)));
        Assert.True(Matches(made, File("a", 42.0, ValueLayout.Value8)));

        // Same lengths and offsets, one key byte apart; a longer key; the other layout.
        Assert.False(Matches(made, File("b", 1.0, ValueLayout.Value8)));
        Assert.False(Matches(made, File("aa", 1.0, ValueLayout.Value8)));
        Assert.False(Matches(made, File("a", 1.0, ValueLayout.ValueAndTimestamp16)));

        // One entry fewer.
        byte[] shorter = new DbFileBuilder(ValueLayout.Value8, capacity: 4096).Add("c", "c_total", 1.0, labels: ("s", "a0")).Build();
        Assert.False(Matches(made, shorter));
    }

    [Fact]
    public async Task FilesThatDifferInOneKeyByte_AreNotMergedAsTheReference()
    {
        // Every other file has the reference's lengths and offsets but another label value: a match on offsets alone
        // would merge their values into the reference's series.
        using var dir = new TempDirectory();
        for (int i = 0; i < 200; i++)
        {
            System.IO.File.WriteAllBytes(dir.File($"counter_{i:D4}.db"), File(i % 2 == 0 ? "a" : "b", i, ValueLayout.Value8));
        }

        string text = await OnTwoThreadsAsOnOneAsync(dir);
        Assert.Contains("c_total{s=\"b1\"} 10000", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ValueLayout.Value8)]
    [InlineData(ValueLayout.ValueAndTimestamp16)]
    public void AFileAlikeBesideItsValues_TakesTheReferencesEntries_AsItsWalkWouldFindThem(ValueLayout layout)
    {
        (byte[] data, WalkedEntries walked) reference = Walk(File("a", 1.0, layout));
        EntryReference made = EntryReference.Of(reference.data, reference.walked, DbFormat.ReadUsed(reference.data))!;

        byte[] other = File("a", 42.0, layout);
        var taken = new WalkedEntries();
        Assert.True(made.TryTakeAlike(other, DbFormat.ReadUsed(other), taken));
        (_, WalkedEntries walked) = Walk(other);
        Assert.Equal(walked.Layout, taken.Layout);
        Assert.Equal(walked.End, taken.End);
        Assert.Equal(walked.Damage, taken.Damage);
        Assert.Equal(walked.Offsets.ToArray(), taken.Offsets.ToArray());
        Assert.Equal(walked.KeyLengths.ToArray(), taken.KeyLengths.ToArray());
        Assert.Equal(walked.ValueOffsets.ToArray(), taken.ValueOffsets.ToArray());
        Assert.Same(made, taken.Reference);

        // One key byte apart, the other layout, one entry more: walked instead.
        Assert.False(made.TryTakeAlike(File("b", 1.0, layout), DbFormat.ReadUsed(File("b", 1.0, layout)), new WalkedEntries()));
        ValueLayout otherLayout = layout == ValueLayout.Value8 ? ValueLayout.ValueAndTimestamp16 : ValueLayout.Value8;
        Assert.False(made.TryTakeAlike(File("a", 1.0, otherLayout), DbFormat.ReadUsed(File("a", 1.0, otherLayout)), new WalkedEntries()));
        byte[] longer = new DbFileBuilder(layout, capacity: 4096).Add("c", "c_total", 1.0, labels: ("s", "a0"))
            .Add("c", "c_total", 1.0, labels: ("s", "a1")).Add("c", "c_total", 1.0, labels: ("s", "a2")).Add("c", "c_total", 1.0, labels: ("s", "a3")).Build();
        Assert.False(made.TryTakeAlike(longer, DbFormat.ReadUsed(longer), new WalkedEntries()));

        // Bytes cut short of used: its walk would report the damage, so it must walk.
        Assert.False(made.TryTakeAlike(other.AsSpan(0, made.End - 1), DbFormat.ReadUsed(other), new WalkedEntries()));
    }

    [Fact]
    public void AReferenceWhoseWalkStoppedAtDamage_IsNeverTakenWithoutAWalk()
    {
        byte[] damaged = File("a", 1.0, ValueLayout.Value8);

        // A used length past the last entry, inside the zero bytes after it: the walk stops there with damage.
        BitConverter.GetBytes(DbFormat.ReadUsed(damaged) + 8).CopyTo(damaged, 0);
        (byte[] data, WalkedEntries walked) reference = Walk(damaged);
        Assert.True(reference.walked.Damage.IsDamaged);
        EntryReference made = EntryReference.Of(reference.data, reference.walked, DbFormat.ReadUsed(reference.data))!;

        Assert.False(made.TryTakeAlike(damaged, DbFormat.ReadUsed(damaged), new WalkedEntries()));
    }

    [Fact]
    public async Task GaugeFilesOfTwoModes_ThatDifferInOneKeyByte_MergeAsOnOneThread()
    {
        // Gauge files take the keys of the last gauge file parsed when they match the reference of their mode: a
        // match across modes or on offsets alone would give a file's values to another file's series.
        using var dir = new TempDirectory();
        for (int i = 0; i < 200; i++)
        {
            string mode = i < 100 ? "all" : "livesum";
            System.IO.File.WriteAllBytes(dir.File($"gauge_{mode}_{i:D4}.db"), File(i % 3 == 0 ? "a" : "b", i, ValueLayout.ValueAndTimestamp16));
        }

        string text = await OnTwoThreadsAsOnOneAsync(dir);

        // The family takes the mode of its last file (livesum): every file's value summed per label set.
        Assert.Contains("s=\"a1\"} 6633.0\n", text, StringComparison.Ordinal);
        Assert.Contains("s=\"b1\"} 13267.0\n", text, StringComparison.Ordinal);
    }

    /// <summary>The directory's text from a cold pass on two threads, which must equal a pass on one.</summary>
    private static async Task<string> OnTwoThreadsAsOnOneAsync(TempDirectory dir)
    {
        using MultiProcessDirectory twoThreads = MultiProcessDirectory.Open(dir.Path);
        string text = await Task.Run(() => DirectoryFixture.Text(twoThreads)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(twoThreads.Diagnostics.FilesReadAhead > 100);
        using MultiProcessDirectory oneThread = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { ColdReadAhead = false });
        Assert.Equal(DirectoryFixture.Text(oneThread), text);
        return text;
    }

    private static byte[] File(string label, double value, ValueLayout layout)
    {
        var builder = new DbFileBuilder(layout, capacity: 4096);
        for (int s = 0; s < 3; s++)
        {
            builder.Add("c", "c_total", value, labels: ("s", label + s.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return builder.Build();
    }

    private static bool Matches(EntryReference reference, byte[] file)
    {
        (byte[] data, WalkedEntries walked) = Walk(file);
        return reference.Matches(data, walked);
    }

    private static (byte[] Data, WalkedEntries Walked) Walk(byte[] file)
    {
        var walked = new WalkedEntries();
        walked.Walk(file, DbFormat.ReadUsed(file));
        return (file, walked);
    }
}
