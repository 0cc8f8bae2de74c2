using Chorus.Aggregation;
using FsCheck.Xunit;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A file's values keep whole counts in two bytes while that pays, then in four, and every other value in a second
/// array: whatever is set, in whatever order, each entry reads back bit for bit what was last set, and only values that
/// do not fit their word take room in the second array, once per entry.
/// </summary>
public sealed class EntryValuesTests
{
    private static readonly double[] Odd =
    [
        -0.0, double.NaN, BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234), double.PositiveInfinity,
        double.NegativeInfinity, -1.0, 0.5, 2147483647.5, 2147483648.0, 4294967296.0, 1e300, double.Epsilon, -2147483648.0,
    ];

    [Property(MaxTest = 200)]
    public bool EveryEntry_ReadsBackWhatWasLastSet_BitForBit(int seed)
    {
        var random = new Random(seed);
        int count = random.Next(1, 200);
        double[] model = new double[count];
        bool read = random.Next(2) == 0;
        bool small = random.Next(2) == 0;
        if (read)
        {
            for (int i = 0; i < count; i++)
            {
                model[i] = RandomValue(random, small);
            }
        }

        EntryValues values = read ? EntryValues.Read(Bytes(model, out int[] offsets), offsets) : new EntryValues(count);
        var everOther = new HashSet<int>(Enumerable.Range(0, count).Where(i => !IsWhole(model[i])));
        var everOtherNarrow = new HashSet<int>(Enumerable.Range(0, count).Where(i => !IsNarrowWhole(model[i])));
        for (int step = 0; step < 600; step++)
        {
            int entry = random.Next(count);
            double value = RandomValue(random, small);
            values.Set(entry, value);
            model[entry] = value;
            if (!IsWhole(value))
            {
                everOther.Add(entry);
            }

            if (!IsNarrowWhole(value))
            {
                everOtherNarrow.Add(entry);
            }

            if (step % 50 == 0)
            {
                values.Grow(values.Capacity + random.Next(0, 3));
            }
        }

        return Enumerable.Range(0, count).All(i => BitConverter.DoubleToInt64Bits(values[i]) == BitConverter.DoubleToInt64Bits(model[i]))
            && (values.IsNarrow ? values.OtherCount == everOtherNarrow.Count : values.OtherCount <= everOther.Count);
    }

    [Fact]
    public void ValuesRead_TakeRoomInTheSecondArray_OnlyWhenTheyDoNotFitTheirWord()
    {
        // One whole number past 32,767 in eight entries: narrow words and that number in the second array still cost less.
        double[] read = [0, 1, 2147483647, 7.5, -0.0, 32767, double.NaN, 2147483648.0];
        EntryValues values = EntryValues.Read(Bytes(read, out int[] offsets), offsets);

        Assert.True(values.IsNarrow);
        Assert.Equal(5, values.OtherCount);
        Assert.Equal(5, values.OtherRoom);
        Assert.Equal(8, values.Capacity);
        for (int i = 0; i < read.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(read[i]), BitConverter.DoubleToInt64Bits(values[i]));
        }

        values.Grow(10);
        Assert.Equal(0.0, values[9]);
        Assert.False(double.IsNegative(values[9]));
    }

    /// <summary>The values as a file holds them: each at an offset of its own, 16 bytes apart, after 8 bytes of header.</summary>
    private static byte[] Bytes(double[] values, out int[] offsets)
    {
        byte[] data = new byte[8 + (16 * values.Length)];
        offsets = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            offsets[i] = 8 + (16 * i);
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(offsets[i]), values[i]);
        }

        return data;
    }

    [Fact]
    public void AFileOfSmallCounts_TakesTwoBytesAnEntry()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var values = new EntryValues(10_000);
        for (int i = 0; i < 10_000; i++)
        {
            values.Set(i, i * 3);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(values.IsNarrow);
        Assert.Equal(0, values.OtherCount);
        Assert.InRange(allocated, 20_000, 20_200);
    }

    [Fact]
    public void AFileWhoseCountsPass32767_TurnsWide_OnceThoseAreMoreThanAQuarterOfItsEntries()
    {
        var values = new EntryValues(1000);
        for (int i = 0; i < 1000; i++)
        {
            values.Set(i, i % 2 == 0 ? 0.5 + i : i);
        }

        for (int i = 1; i < 500; i += 2)
        {
            values.Set(i, 40_000 + i);
        }

        // 250 counts past 32,767 in 1000 entries: still narrow, each of them in the second array beside the 500 fractions.
        Assert.True(values.IsNarrow);
        Assert.Equal(750, values.OtherCount);

        values.Set(501, 40_501);

        Assert.False(values.IsNarrow);
        Assert.Equal(500, values.OtherCount);
        for (int i = 0; i < 1000; i++)
        {
            double expected = i % 2 == 0 ? 0.5 + i : i <= 501 ? 40_000 + i : i;
            Assert.Equal(expected, values[i]);
        }

        values.Set(3, 7.25);
        Assert.Equal(7.25, values[3]);
        Assert.Equal(501, values.OtherCount);
    }

    [Fact]
    public void AFileOfMoreFractionsThanANarrowWordCanPointTo_TurnsWide()
    {
        var values = new EntryValues(40_000);
        for (int i = 0; i < 40_000; i++)
        {
            values.Set(i, i + 0.25);
            Assert.Equal(i < 32_768, values.IsNarrow);
        }

        Assert.Equal(40_000, values.OtherCount);
        Assert.All(Enumerable.Range(0, 40_000), i => Assert.Equal(i + 0.25, values[i]));
    }

    [Theory]
    [InlineData(5_000.0, true)]
    [InlineData(100_000.0, false)]
    public void AFileReadInFull_TakesTheWordsItsValuesAskFor_AtOnce(double largest, bool narrow)
    {
        // A host's bucket counts (up to 5,000) and counters (up to 100,000): the counters' file goes wide at once.
        double[] read = [.. Enumerable.Range(0, 3000).Select(i => Math.Round(largest * i / 3000))];
        byte[] data = Bytes(read, out int[] offsets);
        long before = GC.GetAllocatedBytesForCurrentThread();
        EntryValues values = EntryValues.Read(data, offsets);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(narrow, values.IsNarrow);
        Assert.Equal(0, values.OtherCount);
        Assert.InRange(allocated, 3000 * (narrow ? 2 : 4), (3000 * (narrow ? 2 : 4)) + 200);
        Assert.All(Enumerable.Range(0, 3000), i => Assert.Equal(read[i], values[i]));
    }

    /// <summary>A value of any kind; with <paramref name="small"/>, mostly counts a narrow word holds, so files stay narrow for a while.</summary>
    private static double RandomValue(Random random, bool small) => small && random.Next(8) != 0 ? random.Next(0, 32_768) : random.Next(4) switch
    {
        0 => random.Next(0, 100_000),
        1 => int.MaxValue - random.Next(3),
        2 => Odd[random.Next(Odd.Length)],
        _ => random.NextDouble() * 1e6,
    };

    private static bool IsNarrowWhole(double value) =>
        value is >= 0 and < 32768.0 && BitConverter.DoubleToInt64Bits((int)value) == BitConverter.DoubleToInt64Bits(value);

    private static bool IsWhole(double value) =>
        value is >= 0 and < 2147483648.0 && BitConverter.DoubleToInt64Bits((uint)value) == BitConverter.DoubleToInt64Bits(value);
}
