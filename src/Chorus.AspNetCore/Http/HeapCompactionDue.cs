namespace Chorus.AspNetCore.Http;

/// <summary>
/// Whether a collection between scrapes should compact the whole heap and give its free memory back: when the heap's
/// committed memory outgrew what the last such collection left by an eighth (at least <see cref="MinimumGrowthBytes"/>),
/// when as much was allocated since then, and before the first one.
/// </summary>
/// <remarks>
/// A reader's first scrapes allocate hundreds of MB on a big host (every file read, every family rendered) and the
/// collections between scrapes are gen1 ones, which leave what was promoted and died since in the older generations.
/// On the GitLab-sized host that kept 350 MiB committed for 250 MB of live merge state, and the runtime gave none of it
/// back (docs/benchmarks.md). The first compaction comes after the first response, while some of the cold pass's state
/// is still held (the rendering in the format the collection at start guessed, the first bodies' gzip members): what
/// dies after it leaves no growth to see, and the GitLab-sized host kept 263 MiB committed for 199 MB live. Bytes
/// allocated since the last compaction bound what can have been promoted and died since, so as many as the growth
/// allowed also make one due: warm scrapes allocate little (hundreds of KiB), so that is one full collection every few
/// dozen scrapes on that host, a quarter of a second of one core each.
/// </remarks>
internal sealed class HeapCompactionDue
{
    /// <summary>Growth or allocation below this never asks for a compaction (a small host's heap moves by this much anyway).</summary>
    internal const long MinimumGrowthBytes = 16 << 20;

    private long _committedAfterLast = -1;
    private long _allocatedAtLast;

    /// <summary>
    /// True when the heap, now <paramref name="committed"/> bytes, should be compacted, <paramref name="allocated"/> bytes
    /// having been allocated by the process so far.
    /// </summary>
    public bool IsDue(long committed, long allocated) =>
        IsOutgrown(committed) || allocated - _allocatedAtLast > Allowed;

    /// <summary>
    /// True when the heap's committed memory, now <paramref name="committed"/> bytes, outgrew what the last compaction left
    /// by as much as <see cref="IsDue"/> allows (or no compaction ran yet): bytes allocated do not count, since the
    /// runtime's own collections take what died young.
    /// </summary>
    public bool IsOutgrown(long committed) => _committedAfterLast < 0 || committed - _committedAfterLast > Allowed;

    // The growth, or the bytes allocated, since the last compaction that make the next one due.
    private long Allowed => Math.Max(MinimumGrowthBytes, _committedAfterLast / 8);

    /// <summary>A compaction left <paramref name="committed"/> bytes, the process having allocated <paramref name="allocated"/> so far.</summary>
    public void Compacted(long committed, long allocated)
    {
        _committedAfterLast = committed;
        _allocatedAtLast = allocated;
    }
}
