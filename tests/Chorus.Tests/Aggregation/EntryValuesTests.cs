using Chorus.Aggregation;
using FsCheck.Xunit;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A file's values keep whole counts in four bytes and every other value in a second array: whatever is set, in whatever
/// order, each entry reads back bit for bit what was last set, and only values that are not whole counts below 2^31 take
/// room in the second array, once per entry.
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
        if (read)
        {
            for (int i = 0; i < count; i++)
            {
                model[i] = RandomValue(random);
            }
        }

        EntryValues values = read ? EntryValues.Read(Bytes(model, out int[] offsets), offsets) : new EntryValues(count);
        var everOther = new HashSet<int>(Enumerable.Range(0, count).Where(i => !IsWhole(model[i])));
        for (int step = 0; step < 600; step++)
        {
            int entry = random.Next(count);
            double value = RandomValue(random);
            values.Set(entry, value);
            model[entry] = value;
            if (!IsWhole(value))
            {
                everOther.Add(entry);
            }

            if (step % 50 == 0)
            {
                values.Grow(values.Capacity + random.Next(0, 3));
            }
        }

        return Enumerable.Range(0, count).All(i => BitConverter.DoubleToInt64Bits(values[i]) == BitConverter.DoubleToInt64Bits(model[i]))
            && values.OtherCount == everOther.Count;
    }

    [Fact]
    public void ValuesRead_TakeRoomInTheSecondArray_OnlyWhenTheyAreNotWholeCounts()
    {
        double[] read = [0, 1, 2147483647, 7.5, -0.0, 3, double.NaN, 2147483648.0];
        EntryValues values = EntryValues.Read(Bytes(read, out int[] offsets), offsets);

        Assert.Equal(4, values.OtherCount);
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
    public void AFileOfWholeCounts_TakesFourBytesAnEntry()
    {
        var values = new EntryValues(10_000);
        for (int i = 0; i < 10_000; i++)
        {
            values.Set(i, i * 3);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var empty = new EntryValues(10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(empty);

        Assert.Equal(0, values.OtherCount);
        Assert.InRange(allocated, 40_000, 40_200);
    }

    private static double RandomValue(Random random) => random.Next(4) switch
    {
        0 => random.Next(0, 100_000),
        1 => int.MaxValue - random.Next(3),
        2 => Odd[random.Next(Odd.Length)],
        _ => random.NextDouble() * 1e6,
    };

    private static bool IsWhole(double value) =>
        value is >= 0 and < 2147483648.0 && BitConverter.DoubleToInt64Bits((uint)value) == BitConverter.DoubleToInt64Bits(value);
}
