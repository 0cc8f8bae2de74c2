using System.Text;
using Chorus.Aggregation;
using Chorus.AspNetCore.Http;

namespace Chorus.Tests.AspNetCore;

/// <summary>The counters a process would show, and the collections asked of it.</summary>
internal sealed class FakeProcess
{
    private readonly StringBuilder _runs = new();
    private int _count;

    public int Collections { get; set; }

    public long Allocated { get; set; }

    public int Collected => Volatile.Read(ref _count);

    public bool Suspends { get; init; } = true;

    /// <summary>How long each collection takes.</summary>
    public TimeSpan CollectionTakes { get; init; }

    /// <summary>Whether a collection allowed to compact says it did (as the process collector does when one is due).</summary>
    public bool CompactsWhenAllowed { get; init; }

    public int Suspended { get; private set; }

    public int Resumed { get; private set; }

    /// <summary>What was run between scrapes, in order: C for a collection that may compact, c for one that may not, T for a trim.</summary>
    public string Runs
    {
        get
        {
            lock (_runs)
            {
                return _runs.ToString();
            }
        }
    }

    /// <summary>Whether the heap outgrew the last compaction (the process collector's <see cref="HeapCompactionDue.IsOutgrown"/>).</summary>
    public bool HeapOutgrown { get; set; }

    public GarbageCollectionBetweenScrapes Between() => new(() => (Collections, Allocated), Collect, Suspend, () => Resumed++, Trim, () => HeapOutgrown);

    private bool Trim()
    {
        lock (_runs)
        {
            _runs.Append('T');
        }

        return true;
    }

    private bool Suspend()
    {
        Suspended++;
        return Suspends;
    }

    private CollectionStage Collect(bool mayCompact)
    {
        Thread.Sleep(CollectionTakes);
        lock (_runs)
        {
            _runs.Append(mayCompact ? 'C' : 'c');
        }

        Interlocked.Increment(ref _count);
        return mayCompact && CompactsWhenAllowed ? CollectionStage.CompactHeap : CollectionStage.CollectGarbage;
    }

    public async Task WaitForCollectionsAsync(int count)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (Collected < count && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(Collected >= count, $"{Collected} collections run, {count} expected");
    }
}
