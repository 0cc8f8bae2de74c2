namespace Chorus.Storage;

/// <summary>
/// The in-process store: cells carved from pinned arrays that are never moved or freed while the store
/// is reachable, so children can keep raw addresses exactly as they do into a mapped file.
/// </summary>
internal sealed unsafe class SlabStore : IValueStore
{
    // 16 bytes per cell (value + timestamp) keeps one code path for mostrecent gauges.
    private const int CellsPerSlab = 1024;
    private const int DoublesPerCell = 2;

    private readonly Lock _lock = new();
    private readonly List<double[]> _slabs = [];
    private int _nextCell = CellsPerSlab;

    /// <inheritdoc />
    public bool IsMultiProcess => false;

    /// <inheritdoc />
    public bool HasTimestamps => true;

    /// <inheritdoc />
    public ValueCell Allocate(in SeriesKey key) => new(AllocateCell(), null);

    /// <summary>Hands out a zeroed cell.</summary>
    public double* AllocateCell()
    {
        lock (_lock)
        {
            if (_nextCell == CellsPerSlab)
            {
                _slabs.Add(GC.AllocateArray<double>(CellsPerSlab * DoublesPerCell, pinned: true));
                _nextCell = 0;
            }

            double[] slab = _slabs[^1];
            fixed (double* start = slab)
            {
                // The array is on the pinned object heap: the address stays valid after `fixed` ends.
                return start + (_nextCell++ * DoublesPerCell);
            }
        }
    }

    /// <inheritdoc />
    public void Release(ReadOnlySpan<SeriesKey> keys)
    {
        // The collector forgets the child, and nothing else shows in-process series. The cell is not
        // reused: a caller may still hold the detached child and write to it.
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
