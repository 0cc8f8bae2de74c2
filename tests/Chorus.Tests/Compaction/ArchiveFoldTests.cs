using Chorus.Compaction;
using Chorus.Files;

namespace Chorus.Tests.Compaction;

public sealed class ArchiveFoldTests
{
    private static byte[] File(ValueLayout layout, params (string Sample, double Value, double Timestamp)[] entries)
    {
        byte[] bytes = new byte[4096];
        int position = DbFormat.HeaderSize;
        foreach ((string sample, double value, double timestamp) in entries)
        {
            position += DbFormat.WriteEntry(bytes.AsSpan(position), DbKey.Encode("g", sample, [], [], "h"), layout, value, timestamp);
        }

        DbFormat.WriteUsed(bytes, position);
        return bytes;
    }

    private static Dictionary<string, (double Value, double Timestamp)> Fold(DbFileKind kind, GaugeMode? mode, ValueLayout layout, params byte[][] files)
    {
        var fold = new ArchiveFold(kind, mode, layout);
        foreach (byte[] file in files)
        {
            fold.Add(file, DbFileScan.Scan(file, file.Length, layout));
        }

        byte[] archive = fold.ToFileBytes();
        DbFileScan scan = DbFileScan.Scan(archive, archive.Length);
        Assert.Equal(layout, scan.Layout);
        Assert.Equal(0, archive.Length % DbFormat.InitialCapacity);
        return scan.Entries.ToDictionary(
            e => DbKey.TryParse(archive.AsSpan(e.KeyOffset, e.KeyLength), out DbKey? key, out _) ? key!.Sample : "?",
            e => (DbFileScan.ReadValue(archive, e), DbFileScan.ReadTimestamp(archive, e, layout)));
    }

    [Fact]
    public void Counters_AreSummedPerKey_KeysKeepFirstSeenOrder()
    {
        var folded = Fold(DbFileKind.Counter, null, ValueLayout.Value8,
            File(ValueLayout.Value8, ("a", 1, 0), ("b", 2, 0)), File(ValueLayout.Value8, ("b", 10, 0), ("c", 5, 0)));

        Assert.Equal(["a", "b", "c"], folded.Keys);
        Assert.Equal(12, folded["b"].Value);
    }

    [Theory]
    [InlineData(GaugeMode.Min, 1.0)]
    [InlineData(GaugeMode.Max, 7.0)]
    [InlineData(GaugeMode.Sum, 11.0)]
    public void Gauges_AreMergedByMode(GaugeMode mode, double expected)
    {
        var folded = Fold(DbFileKind.Gauge, mode, ValueLayout.Value8,
            File(ValueLayout.Value8, ("g", 3, 0)), File(ValueLayout.Value8, ("g", 1, 0)), File(ValueLayout.Value8, ("g", 7, 0)));

        Assert.Equal(expected, folded["g"].Value);
    }

    [Fact]
    public void MostRecent_KeepsTheNewestValueAndItsTimestamp()
    {
        var folded = Fold(DbFileKind.Gauge, GaugeMode.MostRecent, ValueLayout.ValueAndTimestamp16,
            File(ValueLayout.ValueAndTimestamp16, ("g", 3, 100)), File(ValueLayout.ValueAndTimestamp16, ("g", 9, 300)), File(ValueLayout.ValueAndTimestamp16, ("g", 5, 200)));

        Assert.Equal((9.0, 300.0), folded["g"]);
    }

    [Theory]
    [InlineData(GaugeMode.All)]
    [InlineData(GaugeMode.LiveSum)]
    public void PerProcessAndLiveGauges_CannotBeFolded(GaugeMode mode) =>
        Assert.Throws<ArgumentException>(() => new ArchiveFold(DbFileKind.Gauge, mode, ValueLayout.Value8));

    [Fact]
    public void LayoutsAreNeverMixed()
    {
        var fold = new ArchiveFold(DbFileKind.Counter, null, ValueLayout.Value8);
        byte[] wide = File(ValueLayout.ValueAndTimestamp16, ("a", 1, 0));

        Assert.Throws<InvalidOperationException>(() => fold.Add(wide, DbFileScan.Scan(wide, wide.Length)));
    }
}
