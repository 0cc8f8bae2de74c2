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
/// usually a gen1 one; a full compacting one when the heap outgrew the last); once a preparation ahead of a scrape is
/// done, at once (<see cref="AfterPreparation"/>).
/// <para>
/// The first collection of all, the cold pass that reads every file and allocates the whole merge state, runs with
/// collections suspended (<see cref="BeforeCollection"/>; a server's reader, which collects as soon as it is opened, is
/// opened with them suspended already: <see cref="ScrapeSources"/>), and the first response is followed by the
/// compacting collection. On the GitLab-sized host the runtime otherwise ran 17 full collections in that pass, 0.38 s
/// of pauses, each finding nearly everything still reachable (docs/benchmarks.md; on a VM where fresh memory is dear,
/// the memory those collections would have reused costs about as much).
/// </para>
/// <para>
/// After every response, collection or not, the C heap's free pages are given back (<paramref name="trim"/>, the same
/// <see cref="Delay"/> later): each scrape's gzip members leave zlib's freed deflate states in the pool threads' heap
/// arenas (<see cref="ProcessCollector.TrimNativeHeap"/>).
/// </para>
/// </summary>
/// <param name="readCounters">The process's collection count and bytes allocated so far (tests give their own).</param>
/// <param name="collect">
/// Runs the collection, a compaction only when the argument allows one, and says which kind it was (tests count it instead).
/// </param>
/// <param name="suspend">Suspends the runtime's collections; false when it could not (tests record the call instead).</param>
/// <param name="resume">Ends what <paramref name="suspend"/> started, whether or not the runtime already ended it.</param>
/// <param name="trim">Gives the C heap's free pages back; false where it cannot (tests count it instead).</param>
/// <param name="heapOutgrown">
/// Whether the heap's committed memory outgrew the last compaction, so <paramref name="collect"/> would compact
/// (<see cref="HeapCompactionDue.IsOutgrown"/>; tests say it instead): such a collection is run after a response even
/// when the runtime collected since the last one.
/// </param>
internal sealed class GarbageCollectionBetweenScrapes(
    Func<(int Collections, long Allocated)> readCounters,
    Func<bool, CollectionStage> collect,
    Func<bool> suspend,
    Action resume,
    Func<bool> trim,
    Func<bool> heapOutgrown)
{
    /// <summary>How much must have been allocated since the last collection: well below the runtime's own budget (≥ 6 MB here).</summary>
    internal const long AllocatedBytes = 1 << 20;

    /// <summary>
    /// How long after the response: a collection suspends every thread, and a client that reads to the end of the
    /// connection would otherwise wait for it too. Prometheus scrapes a target at most every few seconds.
    /// </summary>
    internal static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The least time before a predicted scrape that a preparation's collection runs in: on a small host the lead is a few
    /// ms, and a collection the runtime made a full one (12.6 ms on the 10,000-file host) ran into the scrape it preceded.
    /// </summary>
    internal static readonly TimeSpan LeastRoomBeforeScrape = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// How many times the last collection's own time (the last one that did not compact, as a preparation's never does)
    /// must be left before a predicted scrape for a preparation's to run.
    /// </summary>
    internal const int RoomPerCollection = 2;

    private readonly Lock _gate = new();
    private long _lastCollectionTicks;
    private int _collectionsSeen = -1;
    private long _allocatedAtCollection;
    private long _allocatedAtPreparation;
    private bool _pending;
    private bool _collectionDue;
    private int _run;
    private int _trimmed;
    private int _firstCollectionStarted;
    private int _suspended;

    /// <summary>The process's own collector (<see cref="ProcessCollector"/>).</summary>
    public GarbageCollectionBetweenScrapes()
        : this(new ProcessCollector())
    {
    }

    private GarbageCollectionBetweenScrapes(ProcessCollector process)
        : this(
            static () => (GC.CollectionCount(0), GC.GetTotalAllocatedBytes()),
            process.Collect,
            ProcessCollector.SuspendCollections,
            ProcessCollector.ResumeCollections,
            ProcessCollector.TrimNativeHeap,
            process.HeapOutgrown)
    {
    }

    /// <summary>How many collections this instance ran.</summary>
    public int Run => Volatile.Read(ref _run);

    /// <summary>Called by the scrape that runs a collection, before it starts: the first one runs with collections suspended.</summary>
    public void BeforeCollection()
    {
        if (Interlocked.Exchange(ref _firstCollectionStarted, 1) == 0 && suspend())
        {
            Volatile.Write(ref _suspended, 1);
        }
    }

    /// <summary>Whether a run is waiting or running (tests).</summary>
    internal bool Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending;
            }
        }
    }

    /// <summary>How many times this instance gave the C heap's free pages back.</summary>
    public int Trimmed => Volatile.Read(ref _trimmed);

    /// <summary>
    /// Called once a response is sent: <see cref="Delay"/> from now, runs a collection when one is due, and trims the C
    /// heap.
    /// </summary>
    public void AfterResponse()
    {
        if (Interlocked.Exchange(ref _suspended, 0) == 1)
        {
            // Everything the cold pass let go of is still on the heap: the collection is due whatever was counted.
            resume();
            RunLaterUnlessPending(collection: true);
            return;
        }

        // Under scrapes a second or so apart the runtime collects between nearly every two responses, so CollectionDue
        // never finds one due, and without a compaction the committed heap stayed at 250-284 MB for 130-260 MB of heap
        // on the GitLab-sized host until the scrapes paused (docs/benchmarks.md).
        RunLaterUnlessPending(collection: CollectionDue() || heapOutgrown());
    }

    /// <summary>Called when a preparation starts: notes the bytes allocated so far, for <see cref="AfterPreparation"/>.</summary>
    public void BeforePreparation() => Volatile.Write(ref _allocatedAtPreparation, readCounters().Allocated);

    /// <summary>
    /// Called once a preparation (<see cref="ScrapePreparation"/>) is done: when a collection is due, runs it at once, on
    /// the preparation's thread, ahead of the scrape prepared for (or leaves it to the run a response left pending, or to
    /// the next response's when <paramref name="untilScrape"/> leaves less room than <see cref="LeastRoomBeforeScrape"/>
    /// and <see cref="RoomPerCollection"/> times the last collection's own time). A
    /// preparation allocates as a scrape does, ahead of it (a server's first ones took megabytes of gzip run arrays on the
    /// large object heap, before run blocks left the managed heap); left for the next response, those bytes set the runtime's own collection off inside the
    /// scrape, a full one when they spent the large object heap's budget: 46 ms of a 117 ms scrape of the GitLab-sized
    /// host (docs/benchmarks.md). The collection run here is the gen1 one, never a compaction (the scrape may be moments
    /// away: a compaction run here made one wait 105 ms), which the runtime makes a full one itself when a generation's
    /// budget is spent. Due as after a response, or when the preparation itself allocated
    /// <see cref="AllocatedBytes"/> since <see cref="BeforePreparation"/>, even if the runtime collected meanwhile: a
    /// gen0 collection inside the preparation leaves the large object heap's budget as spent as it was.
    /// </summary>
    /// <param name="untilScrape">
    /// How long until the scrape prepared for is predicted; zero when one waits for the preparation already; null when it
    /// is not predicted (the cadence is not known).
    /// </param>
    public void AfterPreparation(TimeSpan? untilScrape = null)
    {
        bool allocatedByPreparation = readCounters().Allocated - Volatile.Read(ref _allocatedAtPreparation) >= AllocatedBytes;

        // Both, for CollectionDue notes where allocation stood after a collection by the runtime.
        if (Volatile.Read(ref _suspended) == 1 || !(CollectionDue() | allocatedByPreparation))
        {
            return;
        }

        bool room = RoomFor(untilScrape);
        lock (_gate)
        {
            // Due either way: without room it is the next response's run that collects (CollectionDue noted where
            // allocation stands, so that run would not find these bytes again).
            _collectionDue = true;
            if (!room || _pending)
            {
                return;
            }

            _pending = true;
        }

        // Never a compaction here (a quarter of a second of one core on a big host), however due: the scrape may be
        // moments away. The next response's run makes it.
        RunPending(mayCompact: false);
    }

    /// <summary>Whether a collection fits before a scrape predicted <paramref name="untilScrape"/> from now.</summary>
    private bool RoomFor(TimeSpan? untilScrape)
    {
        if (untilScrape is not { } room)
        {
            return true;
        }

        TimeSpan needed = Stopwatch.GetElapsedTime(0, Volatile.Read(ref _lastCollectionTicks) * RoomPerCollection);
        return room >= TimeSpan.FromTicks(Math.Max(needed.Ticks, LeastRoomBeforeScrape.Ticks));
    }

    private bool CollectionDue()
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
                return false;
            }

            return allocated - _allocatedAtCollection >= AllocatedBytes;
        }
    }

    private void RunLaterUnlessPending(bool collection)
    {
        lock (_gate)
        {
            _collectionDue |= collection;
            if (_pending)
            {
                return;
            }

            _pending = true;
        }

        _ = RunLaterAsync();
    }

    private async Task RunLaterAsync()
    {
        await Task.Delay(Delay).ConfigureAwait(false);
        RunPending(mayCompact: true);
    }

    /// <summary>Runs what is pending (the collection when due, then the trim) and ends the pending state.</summary>
    private void RunPending(bool mayCompact)
    {
        try
        {
            bool collection;
            lock (_gate)
            {
                collection = _collectionDue;
                _collectionDue = false;
            }

            CollectionStageTimes? times = CollectionStageTimes.Written ? new CollectionStageTimes("chorus between scrapes us:") : null;
            long started = Stopwatch.GetTimestamp();
            if (collection)
            {
                CollectionStage kind = collect(mayCompact);
                if (kind != CollectionStage.CompactHeap)
                {
                    // Only the kind a preparation runs: a compaction takes 80-400 ms on a big host, and counted here it
                    // kept the preparations' collections out of leads of 200 ms for good.
                    Volatile.Write(ref _lastCollectionTicks, Stopwatch.GetTimestamp() - started);
                }

                Interlocked.Increment(ref _run);
                times?.Add(kind, started);
                started = Stopwatch.GetTimestamp();
            }

            // After the collection: objects it freed may have held C memory of their own.
            if (trim())
            {
                Interlocked.Increment(ref _trimmed);
                times?.Add(CollectionStage.TrimNativeHeap, started);
            }

            times?.Write();
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
