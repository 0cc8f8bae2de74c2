using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Chorus.Aggregation;

/// <summary>
/// A file's values as the current collection read them, one per entry, in a word of two bytes while that is cheaper
/// (narrow: a whole number from 0 to 32,767, a histogram's bucket counts on most hosts) and of four bytes once it is not
/// (wide: a whole number from 0 to 2^31 - 1), each value that does not fit its word (a histogram's <c>_sum</c>, most
/// gauges, -0, NaN) kept in a second array, bit for bit, which its word points into.
/// </summary>
/// <remarks>
/// A reader keeps the values of every file it refreshes, to find what changed and by how much: 8 bytes an entry were
/// 41 MB of the GitLab-sized host's heap (5.1 M entries, 84 % whole counts), four bytes 20.5 MB. A narrow file sends
/// its whole numbers past 32,767 to the second array (8 bytes each), so it turns wide, for good, once those would be more
/// than a quarter of its entries (past that, two bytes more for every entry cost less), or once its second array holds
/// as many values as a narrow word can point to. An entry that once took a place in the second array keeps it, whatever
/// it holds later, so setting a value never moves another (turning wide moves them all at once); a file's second array
/// holds at most one value per entry. Not thread-safe: one thread refreshes a file at a time.
/// </remarks>
internal sealed class EntryValues
{
    // Narrow words at or above this point into _others; below it, they are the value. They can point to this many values.
    private const int NarrowOther = 1 << 15;

    // Wide words at or above this point into _others; below it, they are the value.
    private const uint Other = 1u << 31;
    private const double OtherAsValue = Other;

    // The words while the file is narrow (then _words is empty), null once it is wide.
    private ushort[]? _narrow;
    private uint[] _words = [];
    private double[] _others = [];
    private int _otherCount;

    // Of _otherCount, the values that took their place as whole numbers a wide word would hold itself (the cost of narrow).
    private int _wideWholeOthers;

    /// <summary>Room for <paramref name="capacity"/> entries, all 0, in narrow words.</summary>
    public EntryValues(int capacity) => _narrow = capacity == 0 ? [] : new ushort[capacity];

    private EntryValues(uint[] words) => _words = words;

    /// <summary>How many entries there is room for.</summary>
    public int Capacity => _narrow?.Length ?? _words.Length;

    /// <summary>Whether the entries take two bytes each (for tests).</summary>
    internal bool IsNarrow => _narrow is not null;

    /// <summary>How many entries hold a value that does not fit their word (for tests).</summary>
    internal int OtherCount => _otherCount;

    /// <summary>How many values the second array has room for (for tests).</summary>
    internal int OtherRoom => _others.Length;

    /// <summary>The value of entry <paramref name="index"/>.</summary>
    public double this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_narrow is { } narrow)
            {
                int narrowWord = narrow[index];
                return narrowWord < NarrowOther ? narrowWord : _others[narrowWord - NarrowOther];
            }

            uint word = _words[index];
            return word < Other ? word : _others[word - Other];
        }
    }

    /// <summary>
    /// The values at <paramref name="valueOffsets"/> in <paramref name="data"/> (the first 8 bytes of each entry's value
    /// field, little-endian), each to its entry: counted first, so the words are made once, narrow or wide as the values
    /// ask, and the second array once, as long as it needs.
    /// </summary>
    public static EntryValues Read(ReadOnlySpan<byte> data, ReadOnlySpan<int> valueOffsets)
    {
        CountNarrowMisfits(data, valueOffsets, placed: null, out int narrowOthers, out int wideWhole);
        bool narrow = PaysNarrow(narrowOthers, wideWhole, valueOffsets.Length);
        EntryValues values = narrow ? new EntryValues(valueOffsets.Length) : new EntryValues(new uint[valueOffsets.Length]);
        values.Reserve(narrow ? narrowOthers : narrowOthers - wideWhole);
        for (int i = 0; i < valueOffsets.Length; i++)
        {
            values.Set(i, BinaryPrimitives.ReadDoubleLittleEndian(data[valueOffsets[i]..]));
        }

        return values;
    }

    /// <summary>
    /// Makes room at once for the values at <paramref name="valueOffsets"/> in <paramref name="data"/> (entries 0 on) that
    /// would take a place in the second array and have none yet, turning the words wide first if those values would:
    /// a file read in full, not grown an eighth at a time.
    /// </summary>
    public void ReserveFor(ReadOnlySpan<byte> data, ReadOnlySpan<int> valueOffsets)
    {
        if (_narrow is { } narrow)
        {
            // An entry that has a place keeps it (a file read in full again: every collection at a server's start).
            CountNarrowMisfits(data, valueOffsets, narrow, out int narrowMore, out int wideWhole);
            if (StaysNarrow(narrowMore, wideWhole))
            {
                Reserve(narrowMore);
                return;
            }

            Widen();
        }

        int more = 0;
        for (int i = 0; i < valueOffsets.Length; i++)
        {
            more += _words[i] < Other && !IsWhole(BinaryPrimitives.ReadDoubleLittleEndian(data[valueOffsets[i]..])) ? 1 : 0;
        }

        Reserve(more);
    }

    /// <summary>
    /// Counts the values at <paramref name="valueOffsets"/> that a narrow word cannot hold, of entries without a place in
    /// the second array yet (by <paramref name="placed"/>, the narrow words; null: none has one), and of those the whole
    /// numbers a wide word would hold.
    /// </summary>
    private static void CountNarrowMisfits(ReadOnlySpan<byte> data, ReadOnlySpan<int> valueOffsets, ushort[]? placed, out int misfits, out int wideWhole)
    {
        misfits = 0;
        wideWhole = 0;
        for (int i = 0; i < valueOffsets.Length; i++)
        {
            double value = BinaryPrimitives.ReadDoubleLittleEndian(data[valueOffsets[i]..]);
            if ((placed is null || placed[i] < NarrowOther) && !IsNarrowWhole(value))
            {
                misfits++;
                wideWhole += IsWhole(value) ? 1 : 0;
            }
        }
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
        if (_narrow is { } narrow)
        {
            ref ushort narrowWord = ref narrow[index];
            if (narrowWord >= NarrowOther)
            {
                _others[narrowWord - NarrowOther] = value;
                return;
            }

            if (IsNarrowWhole(value))
            {
                narrowWord = (ushort)value;
                return;
            }

            if (!TryTakeNarrowOther(index, value))
            {
                SetWide(index, value);
            }

            return;
        }

        SetWide(index, value);
    }

    /// <summary>Room for <paramref name="capacity"/> entries, the values kept.</summary>
    public void Grow(int capacity)
    {
        if (capacity <= Capacity)
        {
            return;
        }

        if (_narrow is not null)
        {
            Array.Resize(ref _narrow, capacity);
        }
        else
        {
            Array.Resize(ref _words, capacity);
        }
    }

    /// <summary>A reference to entry <paramref name="index"/>'s word, for a prefetch.</summary>
    public ref byte WordAt(int index) => ref _narrow is { } narrow
        ? ref Unsafe.As<ushort, byte>(ref narrow[index])
        : ref Unsafe.As<uint, byte>(ref _words[index]);

    /// <summary>Whether <paramref name="value"/> is kept as a wide word: a whole number from +0 to 2^31 - 1 (not -0, not NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWhole(double value) =>
        value is >= 0 and < OtherAsValue && BitConverter.DoubleToInt64Bits((uint)value) == BitConverter.DoubleToInt64Bits(value);

    /// <summary>Whether <paramref name="value"/> is kept as a narrow word: a whole number from +0 to 32,767.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNarrowWhole(double value) =>
        value is >= 0 and < NarrowOther && BitConverter.DoubleToInt64Bits((int)value) == BitConverter.DoubleToInt64Bits(value);

    /// <summary>
    /// Whether the words stay narrow with <paramref name="more"/> values more in the second array, of which
    /// <paramref name="wideWhole"/> whole numbers a wide word would hold.
    /// </summary>
    private bool StaysNarrow(int more, int wideWhole) => PaysNarrow(_otherCount + more, _wideWholeOthers + wideWhole, Capacity);

    /// <summary>
    /// Whether narrow words pay for <paramref name="capacity"/> entries with <paramref name="others"/> values in the second
    /// array, <paramref name="wideWhole"/> of them whole numbers a wide word would hold: the narrow words can point to them
    /// all, and those cost less (8 bytes each) than two bytes more for every entry.
    /// </summary>
    private static bool PaysNarrow(int others, int wideWhole, int capacity) => others <= NarrowOther && wideWhole <= capacity / 4;

    /// <summary>Points narrow entry <paramref name="index"/> to a new place holding <paramref name="value"/>; false (and wide words) when they no longer pay.</summary>
    private bool TryTakeNarrowOther(int index, double value)
    {
        bool wideWhole = IsWhole(value);
        if (!StaysNarrow(1, wideWhole ? 1 : 0))
        {
            Widen();
            return false;
        }

        _wideWholeOthers += wideWhole ? 1 : 0;
        _narrow![index] = (ushort)(NarrowOther + TakeOther(value));
        return true;
    }

    private void SetWide(int index, double value)
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

    /// <summary>Turns the words wide, for good: each value moves to its word, or to a place of its own in a second array made anew.</summary>
    private void Widen()
    {
        ushort[] narrow = _narrow!;
        var words = new uint[narrow.Length];
        int kept = 0;
        foreach (ushort narrowWord in narrow)
        {
            kept += narrowWord >= NarrowOther && !IsWhole(_others[narrowWord - NarrowOther]) ? 1 : 0;
        }

        double[] others = kept == 0 ? [] : new double[kept];
        int count = 0;
        for (int i = 0; i < narrow.Length; i++)
        {
            int narrowWord = narrow[i];
            if (narrowWord < NarrowOther)
            {
                words[i] = (uint)narrowWord;
                continue;
            }

            double value = _others[narrowWord - NarrowOther];
            if (IsWhole(value))
            {
                words[i] = (uint)value;
            }
            else
            {
                others[count] = value;
                words[i] = Other + (uint)count++;
            }
        }

        _words = words;
        _others = others;
        _otherCount = count;
        _wideWholeOthers = 0;
        _narrow = null;
    }

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
