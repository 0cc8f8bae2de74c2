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
        EntryReference made = EntryReference.Of(reference.data, reference.walked)!;

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

        using MultiProcessDirectory twoThreads = MultiProcessDirectory.Open(dir.Path);
        string text = await Task.Run(() => DirectoryFixture.Text(twoThreads)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(twoThreads.FilesReadAhead > 100);
        using MultiProcessDirectory oneThread = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { ColdReadAhead = false });

        Assert.Equal(DirectoryFixture.Text(oneThread), text);
        Assert.Contains("c_total{s=\"b1\"} 10000", text, StringComparison.Ordinal);
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
