using System.Runtime;
using Chorus.Aggregation;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// The process's own collector as <see cref="GarbageCollectionBetweenScrapes"/> runs it: a gen1 collection, not
/// compacting, which takes a few ms; or, when <see cref="HeapCompactionDue"/> says the heap outgrew the last compaction, a
/// full one that compacts the large object heap too and gives the free memory back to the system.
/// </summary>
internal sealed class ProcessCollector
{
    private readonly HeapCompactionDue _due = new();

    /// <summary>Runs one collection; returns which kind it was.</summary>
    public CollectionStage Collect()
    {
        if (!_due.IsDue(GC.GetGCMemoryInfo().TotalCommittedBytes))
        {
            GC.Collect(1, GCCollectionMode.Forced, blocking: true, compacting: false);
            return CollectionStage.CollectGarbage;
        }

        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _due.Compacted(GC.GetGCMemoryInfo().TotalCommittedBytes);
        return CollectionStage.CompactHeap;
    }
}
