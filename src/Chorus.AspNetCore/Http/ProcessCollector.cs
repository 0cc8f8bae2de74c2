using System.Runtime;
using Chorus.Aggregation;
using Chorus.Internal;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// The process's own collector as <see cref="GarbageCollectionBetweenScrapes"/> runs it: a gen1 collection, not
/// compacting, which takes a few ms; or, when <see cref="HeapCompactionDue"/> says the heap outgrew the last compaction (or
/// as much was allocated since), a
/// full one that compacts the large object heap too and gives the free memory back to the system; and the C heap's
/// trim (<see cref="TrimNativeHeap"/>).
/// </summary>
internal sealed class ProcessCollector
{
    // What the cold pass may allocate with collections suspended, for small and large objects each: the GitLab-sized
    // host's first scrape allocates ~430 MB. Memory is committed as it is used; past this the runtime collects as usual.
    private const long SuspendedBudget = 1L << 30;

    private readonly HeapCompactionDue _due = new();

    // Set once malloc_trim is found missing (a C library other than glibc's): nothing to trim then.
    private static bool s_noTrim;

    /// <summary>Whether the heap's committed memory outgrew the last compaction (<see cref="HeapCompactionDue.IsOutgrown"/>), so the next collection allowed to compact would.</summary>
    public bool HeapOutgrown() => _due.IsOutgrown(GC.GetGCMemoryInfo().TotalCommittedBytes);

    /// <summary>Runs one collection; returns which kind it was.</summary>
    /// <param name="mayCompact">False: the gen1 collection even when a compaction is due (the next collection that may compact makes it).</param>
    public CollectionStage Collect(bool mayCompact = true)
    {
        if (!mayCompact || !_due.IsDue(GC.GetGCMemoryInfo().TotalCommittedBytes, GC.GetTotalAllocatedBytes()))
        {
            GC.Collect(1, GCCollectionMode.Forced, blocking: true, compacting: false);
            return CollectionStage.CollectGarbage;
        }

        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _due.Compacted(GC.GetGCMemoryInfo().TotalCommittedBytes, GC.GetTotalAllocatedBytes());
        return CollectionStage.CompactHeap;
    }

    /// <summary>
    /// Gives the pages the C heap holds free back to the system (glibc's <c>malloc_trim</c>); false where there is no
    /// such call. zlib allocates and frees a deflate state (some 300 KiB) for every gzip member it makes, in the heap
    /// arena of the thread that made it, and glibc gives an arena's free memory back only from its top: the pool
    /// threads' arenas kept 8–12 MiB of freed states between scrapes of the GitLab-sized host (docs/benchmarks.md).
    /// </summary>
    public static bool TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref s_noTrim))
        {
            return false;
        }

        try
        {
            _ = Libc.MallocTrim(0);
            return true;
        }
        catch (EntryPointNotFoundException)
        {
            Volatile.Write(ref s_noTrim, true);
            return false;
        }
    }

    /// <summary>
    /// Suspends the runtime's collections (a no-GC region), or finds them suspended already (the server's reader was opened
    /// in one, see <see cref="ScrapeSources"/>); false when they could not be.
    /// </summary>
    public static bool SuspendCollections()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            return true;
        }

        try
        {
            return GC.TryStartNoGCRegion(SuspendedBudget);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Ends the no-GC region, unless the runtime already ended it (the budget was spent, or a collection was induced).</summary>
    public static void ResumeCollections()
    {
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
        {
            return;
        }

        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // Ended by the runtime in between: collections run as usual either way.
        }
    }
}
