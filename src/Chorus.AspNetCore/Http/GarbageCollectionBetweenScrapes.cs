using System.Diagnostics;
using Chorus.Aggregation;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Runs the garbage collector between scrapes in a process that only serves metrics
/// (<see cref="ChorusEndpointOptions.CollectGarbageBetweenScrapes"/>). A warm scrape allocates little (tens of KiB
/// at 50,000 dead files), so the runtime's next collection comes after minutes of scrapes, in whichever one crosses
/// its budget; with a reader's hundreds of MB of merge state that collection took 12–18 ms of a 2 ms scrape
/// (docs/benchmarks.md). Once a response is out and <see cref="AllocatedBytes"/> were allocated since the last
/// collection, one is run <see cref="Delay"/> later, in the gap before the next scrape (<see cref="ProcessCollector"/>:
/// usually a gen1 one; a full compacting one when the heap outgrew the last).
/// </summary>
/// <param name="readCounters">The process's collection count and bytes allocated so far (tests give their own).</param>
/// <param name="collect">Runs the collection and says which kind it was (tests count it instead).</param>
internal sealed class GarbageCollectionBetweenScrapes(Func<(int Collections, long Allocated)> readCounters, Func<CollectionStage> collect)
{
    /// <summary>How much must have been allocated since the last collection: well below the runtime's own budget (≥ 6 MB here).</summary>
    internal const long AllocatedBytes = 1 << 20;

    /// <summary>
    /// How long after the response: a collection suspends every thread, and a client that reads to the end of the
    /// connection would otherwise wait for it too. Prometheus scrapes a target at most every few seconds.
    /// </summary>
    internal static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private int _collectionsSeen = -1;
    private long _allocatedAtCollection;
    private bool _pending;
    private int _run;

    /// <summary>The process's own collector (<see cref="ProcessCollector"/>).</summary>
    public GarbageCollectionBetweenScrapes()
        : this(static () => (GC.CollectionCount(0), GC.GetTotalAllocatedBytes()), new ProcessCollector().Collect)
    {
    }

    /// <summary>How many collections this instance ran.</summary>
    public int Run => Volatile.Read(ref _run);

    /// <summary>Called once a response is sent: starts a collection <see cref="Delay"/> from now when one is due.</summary>
    public void AfterResponse()
    {
        (int collections, long allocated) = readCounters();
        lock (_gate)
        {
            // The first response after any collection (the runtime's or this one's) only notes where allocation stood:
            // the bytes since then are what the runtime's next collection is counting towards.
            if (collections != _collectionsSeen)
            {
                _collectionsSeen = collections;
                _allocatedAtCollection = allocated;
                return;
            }

            if (_pending || allocated - _allocatedAtCollection < AllocatedBytes)
            {
                return;
            }

            _pending = true;
        }

        _ = CollectLaterAsync();
    }

    private async Task CollectLaterAsync()
    {
        try
        {
            await Task.Delay(Delay).ConfigureAwait(false);
            long started = Stopwatch.GetTimestamp();
            CollectionStage kind = collect();
            Interlocked.Increment(ref _run);
            if (CollectionStageTimes.Written)
            {
                var times = new CollectionStageTimes("chorus between scrapes us:");
                times.Add(kind, started);
                times.Write();
            }
        }
        finally
        {
            lock (_gate)
            {
                _pending = false;
            }
        }
    }
}
