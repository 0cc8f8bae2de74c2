namespace Chorus.AspNetCore.Http;

/// <summary>
/// Whether a collection between scrapes should compact the whole heap and give its free memory back: when the heap's
/// committed memory outgrew what the last such collection left by an eighth (at least <see cref="MinimumGrowthBytes"/>),
/// and before the first one.
/// </summary>
/// <remarks>
/// A reader's first scrapes allocate hundreds of MB on a big host (every file read, every family rendered) and the
/// collections between scrapes are gen1 ones, which leave what was promoted and died since in the older generations.
/// On the GitLab-sized host that kept 350 MiB committed for 250 MB of live merge state, and the runtime gave none of it
/// back (docs/benchmarks.md). Warm scrapes allocate little, so a compaction is rare after the first.
/// </remarks>
internal sealed class HeapCompactionDue
{
    /// <summary>Growth below this never asks for a compaction (a small host's heap moves by this much anyway).</summary>
    internal const long MinimumGrowthBytes = 16 << 20;

    private long _committedAfterLast = -1;

    /// <summary>True when the heap, now <paramref name="committed"/> bytes, should be compacted.</summary>
    public bool IsDue(long committed) =>
        _committedAfterLast < 0 || committed - _committedAfterLast > Math.Max(MinimumGrowthBytes, _committedAfterLast / 8);

    /// <summary>A compaction left <paramref name="committed"/> bytes.</summary>
    public void Compacted(long committed) => _committedAfterLast = committed;
}
