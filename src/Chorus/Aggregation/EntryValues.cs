using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Chorus.Aggregation;

/// <summary>
/// A file's values as the current collection read them, one per entry, in four bytes where they fit: a whole number from
/// 0 to 2^31 - 1 (every counter and bucket count of a typical host) is kept as itself, any other value (a histogram's
/// <c>_sum</c>, most gauges, -0, NaN, past 2^31) in a second array, bit for bit, which its word points into.
/// </summary>
/// <remarks>
/// A reader keeps the values of every file it refreshes, to find what changed and by how much: 8 bytes an entry were
/// 41 MB of the GitLab-sized host's heap (5.1 M entries, 84 % whole counts). An entry that once took a place in the
/// second array keeps it, whatever it holds later, so setting a value never moves another; a file's second array
/// holds at most one value per entry. Not thread-safe: one thread refreshes a file at a time.
/// </remarks>
internal sealed class EntryValues
{
    // Words at or above this point into _others; below it, they are the value.
    private const uint Other = 1u << 31;
    private const double OtherAsValue = Other;

    private uint[] _words;
    private double[] _others = [];
    private int _otherCount;

    /// <summary>Room for <paramref name="capacity"/> entries, all 0.</summary>
    public EntryValues(int capacity) => _words = capacity == 0 ? [] : new uint[capacity];

    /// <summary>How many entries there is room for.</summary>
    public int Capacity => _words.Length;

    /// <summary>How many entries hold a value that is not a whole number below 2^31 (for tests).</summary>
    internal int OtherCount => _otherCount;

    /// <summary>How many values the second array has room for (for tests).</summary>
    internal int OtherRoom => _others.Length;

    /// <summary>The value of entry <paramref name="index"/>.</summary>
    public double this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            uint word = _words[index];
            return word < Other ? word : _others[word - Other];
        }
    }

    /// <summary>
    /// The values at <paramref name="valueOffsets"/> in <paramref name="data"/> (the first 8 bytes of each entry's value
    /// field, little-endian), each to its entry: counted first, so the second array is made once, as long as it needs.
    /// </summary>
    public static EntryValues Read(ReadOnlySpan<byte> data, ReadOnlySpan<int> valueOffsets)
    {
        var values = new EntryValues(valueOffsets.Length);
        values.ReserveFor(data, valueOffsets);
        for (int i = 0; i < valueOffsets.Length; i++)
        {
            values.Set(i, BinaryPrimitives.ReadDoubleLittleEndian(data[valueOffsets[i]..]));
        }

        return values;
    }

    /// <summary>
    /// Makes room at once for the values at <paramref name="valueOffsets"/> in <paramref name="data"/> (entries 0 on) that
    /// would take a place in the second array and have none yet: a file read in full, not grown an eighth at a time.
    /// </summary>
    public void ReserveFor(ReadOnlySpan<byte> data, ReadOnlySpan<int> valueOffsets)
    {
        int more = 0;
        for (int i = 0; i < valueOffsets.Length; i++)
        {
            // An entry that has a place keeps it (a file read in full again: every collection at a server's start).
            more += _words[i] < Other && !IsWhole(BinaryPrimitives.ReadDoubleLittleEndian(data[valueOffsets[i]..])) ? 1 : 0;
        }

        Reserve(more);
    }

    private void Reserve(int more)
    {
        if (_otherCount + more > _others.Length)
        {
            Array.Resize(ref _others, _otherCount + more);
        }
    }

    /// <summary>Sets entry <paramref name="index"/> to <paramref name="value"/>, bit for bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int index, double value)
    {
        ref uint word = ref _words[index];
        if (word >= Other)
        {
            _others[word - Other] = value;
        }
        else if (IsWhole(value))
        {
            word = (uint)value;
        }
        else
        {
            word = Other + (uint)TakeOther(value);
        }
    }

    /// <summary>Room for <paramref name="capacity"/> entries, the values kept.</summary>
    public void Grow(int capacity)
    {
        if (capacity > _words.Length)
        {
            Array.Resize(ref _words, capacity);
        }
    }

    /// <summary>A reference to entry <paramref name="index"/>'s word, for a prefetch.</summary>
    public ref uint WordAt(int index) => ref _words[index];

    /// <summary>Whether <paramref name="value"/> is kept as its word: a whole number from +0 to 2^31 - 1 (not -0, not NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWhole(double value) =>
        value is >= 0 and < OtherAsValue && BitConverter.DoubleToInt64Bits((uint)value) == BitConverter.DoubleToInt64Bits(value);

    private int TakeOther(double value)
    {
        if (_otherCount == _others.Length)
        {
            // An eighth more each time: values turn fractional a few at a time (a gauge set to a fraction), and doubling
            // would leave a file's array up to half empty.
            Array.Resize(ref _others, _otherCount + Math.Max(4, _otherCount / 8));
        }

        _others[_otherCount] = value;
        return _otherCount++;
    }
}
