using System.Runtime.CompilerServices;
using Chorus.Internal;

namespace Chorus.Storage;

/// <summary>
/// Where one series' value lives (a mapped <c>.db</c> entry or a pinned slab), with the change-map word of its region
/// when readers can be told what changed (docs/change-map.md); every record of a metric child goes through it.
/// </summary>
/// <remarks>
/// After each store the word is read, and bumped only when a reader has marked it seen (odd). The store and that read
/// must not be reordered (a reader marks the word, then reads the values: Dekker's pattern), so the store is a locked
/// instruction: a counter's compare-and-swap already is one, a plain set becomes an exchange. Bumping only what was seen
/// keeps threads recording into one region off each other's cache line (docs/change-map.md, "What it costs").
/// </remarks>
internal readonly unsafe struct ValueCell
{
    private readonly double* _value;
    private readonly long* _word;

    /// <summary>A cell at <paramref name="value"/>; <paramref name="word"/> is its region's change word, or null when none is kept.</summary>
    public ValueCell(double* value, long* word)
    {
        _value = value;
        _word = word;
    }

    /// <summary>The value's address (the timestamp, when the layout has one, follows it).</summary>
    public double* Address => _value;

    /// <summary>The region's change word, or null.</summary>
    public long* Word => _word;

    /// <summary>The value, read with acquire semantics.</summary>
    public double Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => AtomicDouble.Read(_value);
    }

    /// <summary>Adds <paramref name="amount"/> lock-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(double amount)
    {
        AtomicDouble.Add(_value, amount);
        if (_word != null)
        {
            BumpIfSeen(_word);
        }
    }

    /// <summary>Raises the value to <paramref name="target"/> if it is lower.</summary>
    public void RaiseTo(double target)
    {
        AtomicDouble.RaiseTo(_value, target);
        if (_word != null)
        {
            BumpIfSeen(_word);
        }
    }

    /// <summary>Sets the value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(double value)
    {
        if (_word == null)
        {
            AtomicDouble.Write(_value, value);
            return;
        }

        Interlocked.Exchange(ref *(long*)_value, BitConverter.DoubleToInt64Bits(value));
        BumpIfSeen(_word);
    }

    /// <summary>
    /// Sets the value, then its timestamp (as prometheus_client does; a reader may pair them torn, which it accepts too).
    /// </summary>
    public void Set(double value, double timestamp)
    {
        AtomicDouble.Write(_value, value);
        if (_word == null)
        {
            AtomicDouble.Write(_value + 1, timestamp);
            return;
        }

        Interlocked.Exchange(ref *(long*)(_value + 1), BitConverter.DoubleToInt64Bits(timestamp));
        BumpIfSeen(_word);
    }

    /// <summary>
    /// Bumps a word a reader marked seen (odd) to the next even number. One attempt is enough: a failed exchange means a
    /// writer bumped it already after the mark, which is all a reader needs to read the region again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void BumpIfSeen(long* word)
    {
        long seen = Volatile.Read(ref *word);
        if ((seen & 1) != 0)
        {
            _ = Interlocked.CompareExchange(ref *word, seen + 1, seen);
        }
    }
}
