namespace Chorus.Storage;

/// <summary>
/// Where metric values live. A store hands out the address of a 16-byte-aligned-or-better cell (the value,
/// followed by its timestamp when <see cref="HasTimestamps"/>); children then update it lock-free.
/// </summary>
/// <remarks>Allocation and release take the store's lock; updates through the returned addresses take none.</remarks>
internal unsafe interface IValueStore : IDisposable
{
    /// <summary>True when values are shared with other processes through a directory.</summary>
    bool IsMultiProcess { get; }

    /// <summary>True when each value is followed by a float64 timestamp (needed by <c>mostrecent</c> gauges).</summary>
    bool HasTimestamps { get; }

    /// <summary>Returns the cell of a series, creating it (zeroed, or continuing a stored value) when new.</summary>
    ValueCell Allocate(in SeriesKey key);

    /// <summary>
    /// The cells of the series of one child (a histogram's <c>_sum</c> and buckets, a summary's <c>_count</c> and <c>_sum</c>,
    /// an enum's states: keys of one file), in <paramref name="keys"/>' order: all in the file, or all in memory.
    /// </summary>
    void AllocateAll(ReadOnlySpan<SeriesKey> keys, Span<ValueCell> cells)
    {
        for (int i = 0; i < keys.Length; i++)
        {
            cells[i] = Allocate(keys[i]);
        }
    }

    /// <summary>Marks series as removed: readers stop showing them once no live process holds them.</summary>
    void Release(ReadOnlySpan<SeriesKey> keys);
}
