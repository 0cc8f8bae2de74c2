using System.Buffers.Binary;
using Chorus.Aggregation;
using Chorus.Files;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// The refresh lists a changed entry's old value only for a file read before (the merge per changed slot swaps it out);
/// a file read in full merges in full, so it notes only which entries changed: a cold collection keeps no copy of every
/// value it reads.
/// </summary>
public class ChangedValuesTests
{
    [Fact]
    public void AFileReadInFull_NotesItsEntries_WithoutListingOldValues_AndALaterChangeIsListed()
    {
        using var dir = new TempDirectory();
        var builder = new DbFileBuilder(ValueLayout.Value8);
        for (int k = 0; k < 100; k++)
        {
            builder.Add("c", "c_total", k + 1.0, labels: ("k", k.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        byte[] data = builder.Build();
        int used = BinaryPrimitives.ReadInt32LittleEndian(data);
        var file = new FileState("counter_1.db", dir.File("counter_1.db"));
        var parsing = new EntryParsing(new KeyTable(), NoWalk);
        Assert.Null(parsing.Process(file, data, used, new CollectionPass(1, 0)));

        // Every entry changed from 0: noted for the merge side, but no list of old values.
        Assert.Equal(100, file.Count);
        Assert.Equal(100, file.ChangedEntries!.Sum(word => System.Numerics.BitOperations.PopCount(word)));
        Assert.True(file.Changes is null or { Count: 0 }, $"{file.Changes?.Count} old values listed for a file read in full");

        // A later collection's refresh of the same file lists its one changed entry with the value it had.
        Array.Clear(file.ChangedEntries!);
        byte[] changed = (byte[])data.Clone();
        BinaryPrimitives.WriteDoubleLittleEndian(changed.AsSpan(file.ValueOffsets[42]), 99.5);
        Assert.True(ValueRefresh.CopyValues(file, changed, collection: 2));
        ChangedValues changes = file.Changes!;
        Assert.Equal(2, changes.Collection);
        Assert.Equal([42], changes.Entries.ToArray());
        Assert.Equal([43.0], changes.OldValues.ToArray());
        Assert.Equal([99.5], changes.NewValues.ToArray());
    }

    [Fact]
    public void AGaugeFileReadInFull_MakesRoomForItsFractionsOnce()
    {
        // Every value a fraction, as the GitLab-sized host's gauges: grown an eighth at a time, the second array of values
        // was allocated about nine times over in a cold pass.
        using var dir = new TempDirectory();
        var builder = new DbFileBuilder(ValueLayout.ValueAndTimestamp16);
        for (int k = 0; k < 1000; k++)
        {
            builder.Add("g", "g", k + 0.25, timestamp: 0.0, labels: ("k", k.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        byte[] data = builder.Build();
        var file = new FileState("gauge_livesum_1.db", dir.File("gauge_livesum_1.db"));
        var parsing = new EntryParsing(new KeyTable(), NoWalk);
        Assert.Null(parsing.Process(file, data, BinaryPrimitives.ReadInt32LittleEndian(data), new CollectionPass(1, 0)));

        Assert.Equal(1000, file.Values.OtherCount);
        Assert.Equal(1000, file.Values.OtherRoom);
        Assert.Equal(500.25, file.Values[500]);
        Assert.Empty(file.Timestamps);

        // Read in full again (a server's collections at start read each file twice): every entry keeps its place.
        file.Reset();
        Assert.Null(parsing.Process(file, data, BinaryPrimitives.ReadInt32LittleEndian(data), new CollectionPass(2, 0)));
        Assert.Equal(1000, file.Values.OtherCount);
        Assert.Equal(1000, file.Values.OtherRoom);
    }

    private static DbDamage NoWalk(FileState file, ReadOnlySpan<byte> data, WalkedEntries walked, CollectionPass pass, out bool valuesRead)
    {
        valuesRead = false;
        return DbDamage.None;
    }
}
