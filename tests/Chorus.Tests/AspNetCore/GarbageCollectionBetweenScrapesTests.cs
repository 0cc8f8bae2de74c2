using System.Buffers;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Chorus.AspNetCore;
using Chorus.AspNetCore.Http;
using Chorus.Exposition;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// A server that only serves metrics runs the garbage collector in the gap after a response, once a MiB was allocated
/// since the last collection, so the runtime's own collection does not fall inside a later scrape.
/// </summary>
public sealed class GarbageCollectionBetweenScrapesTests
{
    private static readonly TimeSpan Settled = GarbageCollectionBetweenScrapes.Delay * 4;

    [Fact]
    public async Task AfterAMiBAllocatedSinceTheLastCollection_OneIsRun_AfterTheDelay()
    {
        var process = new FakeProcess();
        var between = process.Between();
        between.AfterResponse();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;

        between.AfterResponse();
        Assert.Equal(0, process.Collected);

        await process.WaitForCollectionsAsync(1);
        Assert.Equal(1, between.Run);
    }

    [Fact]
    public async Task LessThanAMiBAllocated_RunsNone()
    {
        var process = new FakeProcess();
        var between = process.Between();
        between.AfterResponse();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes - 1;
        between.AfterResponse();

        await Task.Delay(Settled);
        Assert.Equal(0, process.Collected);
    }

    [Fact]
    public async Task ACollectionByTheRuntime_StartsTheCountAgain()
    {
        var process = new FakeProcess();
        var between = process.Between();
        between.AfterResponse();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        process.Collections++;

        // The runtime collected since: the MiB before that is gone, and only what comes after it counts.
        between.AfterResponse();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes / 2;
        between.AfterResponse();
        await Task.Delay(Settled);
        Assert.Equal(0, process.Collected);

        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes / 2;
        between.AfterResponse();
        await process.WaitForCollectionsAsync(1);
    }

    [Fact]
    public async Task AHeapThatOutgrewTheLastCompaction_IsCollected_EvenWhenTheRuntimeCollectedBetweenEveryTwoResponses()
    {
        // Scrapes a second apart: the runtime collects between every two responses, so no collection is ever due by the
        // allocation count, and the committed heap grew until the scrapes paused.
        var process = new FakeProcess();
        var between = process.Between();
        for (int response = 0; response < 3; response++)
        {
            process.Collections++;
            process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
            between.AfterResponse();
            await Task.Delay(Settled);
        }

        Assert.Equal(0, process.Collected);

        process.HeapOutgrown = true;
        process.Collections++;
        between.AfterResponse();
        await process.WaitForCollectionsAsync(1);
        Assert.StartsWith("TTTC", process.Runs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResponsesWhileOneIsPending_RunOnlyOne()
    {
        var process = new FakeProcess();
        var between = process.Between();
        between.AfterResponse();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        for (int response = 0; response < 5; response++)
        {
            between.AfterResponse();
        }

        await process.WaitForCollectionsAsync(1);
        await Task.Delay(Settled);
        Assert.Equal(1, process.Collected);
    }

    [Fact]
    public void APreparationThatLeftAMiBAllocated_RunsTheCollectionAtOnce()
    {
        var process = new FakeProcess();
        var between = process.Between();
        between.BeforePreparation();
        between.AfterPreparation();
        between.BeforePreparation();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes - 1;
        between.AfterPreparation();
        Assert.Equal(0, process.Collected);

        // The MiB since the last collection, over two preparations; run on the last one's thread, before its scrape.
        between.BeforePreparation();
        process.Allocated += 1;
        between.AfterPreparation();
        Assert.Equal(("cT", 1, false), (process.Runs, between.Run, between.Pending));
    }

    [Fact]
    public void APreparationThatAllocatedAMiB_RunsTheCollection_EvenIfTheRuntimeCollectedDuringIt()
    {
        var process = new FakeProcess();
        var between = process.Between();

        // The runtime's gen0 collection in the preparation restarts the count since the last collection, not the
        // preparation's own.
        between.BeforePreparation();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        process.Collections++;
        between.AfterPreparation();
        Assert.Equal(1, process.Collected);

        between.BeforePreparation();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes - 1;
        process.Collections++;
        between.AfterPreparation();
        Assert.Equal(1, process.Collected);
    }

    [Fact]
    public async Task APreparationWhileAResponsesRunIsPending_LeavesTheCollectionToThatRun()
    {
        var process = new FakeProcess();
        var between = process.Between();
        between.AfterResponse();
        await Eventually.HoldsAsync(() => !between.Pending);

        // Nothing due for this response; the preparation after it makes its pending run collect, once.
        between.AfterResponse();
        between.BeforePreparation();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        between.AfterPreparation();
        Assert.Equal(0, process.Collected);

        await process.WaitForCollectionsAsync(1);
        await Eventually.HoldsAsync(() => !between.Pending);
        Assert.Equal("TCT", process.Runs);
    }

    [Fact]
    public async Task APreparationWhoseScrapeIsTooClose_LeavesTheCollectionToTheNextResponse()
    {
        var process = new FakeProcess();
        var between = process.Between();
        between.BeforePreparation();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        between.AfterPreparation(GarbageCollectionBetweenScrapes.LeastRoomBeforeScrape - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, process.Collected);

        // The preparation's MiB is still what the response's run collects for, though nothing was allocated since.
        between.AfterResponse();
        await process.WaitForCollectionsAsync(1);
        await Eventually.HoldsAsync(() => !between.Pending);
        Assert.Equal("CT", process.Runs);
    }

    [Fact]
    public void APreparationsCollection_NeedsRoomForTwiceTheLastOnesTime()
    {
        var process = new FakeProcess { CollectionTakes = TimeSpan.FromMilliseconds(50) };
        var between = process.Between();
        between.BeforePreparation();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        between.AfterPreparation(untilScrape: null);
        Assert.Equal(1, process.Collected);

        between.BeforePreparation();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        between.AfterPreparation(TimeSpan.FromMilliseconds(90));
        Assert.Equal(1, process.Collected);

        between.BeforePreparation();
        between.AfterPreparation(TimeSpan.FromMilliseconds(150));
        Assert.Equal(("cTcT", 2), (process.Runs, process.Collected));
    }

    [Fact]
    public async Task ACompactionsTime_DoesNotKeepPreparationsCollectionsOut()
    {
        // A compaction after a response (hundreds of ms on a big host) says nothing of the gen1 collection a preparation runs.
        var process = new FakeProcess { CollectionTakes = TimeSpan.FromMilliseconds(60), CompactsWhenAllowed = true };
        var between = process.Between();
        between.AfterResponse();
        await Eventually.HoldsAsync(() => !between.Pending);
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        between.AfterResponse();
        await process.WaitForCollectionsAsync(1);
        await Eventually.HoldsAsync(() => !between.Pending);

        between.BeforePreparation();
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        between.AfterPreparation(GarbageCollectionBetweenScrapes.LeastRoomBeforeScrape + TimeSpan.FromMilliseconds(30));
        Assert.Equal(("TCTcT", 2), (process.Runs, process.Collected));
    }

    [Fact]
    public void APreparationDuringTheSuspendedFirstCollection_RunsNothing()
    {
        var process = new FakeProcess();
        var between = process.Between();
        between.BeforeCollection();
        between.BeforePreparation();
        between.AfterPreparation();
        between.BeforePreparation();
        process.Allocated += 8 * GarbageCollectionBetweenScrapes.AllocatedBytes;
        between.AfterPreparation();

        Assert.Equal(("", 0), (process.Runs, process.Resumed));
    }

    [Fact]
    public async Task TheFirstCollection_RunsSuspended_AndACollectionFollowsItsResponse()
    {
        var process = new FakeProcess();
        var between = process.Between();

        between.BeforeCollection();
        Assert.Equal((1, 0), (process.Suspended, process.Resumed));

        // Nothing was counted before this response, yet the cold pass's garbage is due.
        between.AfterResponse();
        Assert.Equal(1, process.Resumed);
        await process.WaitForCollectionsAsync(1);

        // Later collections run as the runtime's budget has them, and only the first is suspended.
        between.BeforeCollection();
        between.AfterResponse();
        await Task.Delay(Settled);
        Assert.Equal((1, 1, 1), (process.Suspended, process.Resumed, process.Collected));
    }

    [Fact]
    public async Task WhenCollectionsCouldNotBeSuspended_TheFirstResponseOnlyCounts()
    {
        var process = new FakeProcess { Suspends = false };
        var between = process.Between();

        between.BeforeCollection();
        between.AfterResponse();
        await Task.Delay(Settled);

        Assert.Equal((1, 0, 0), (process.Suspended, process.Resumed, process.Collected));
    }

    [Fact]
    public async Task EveryResponse_TrimsTheCHeap_AfterAnyCollection()
    {
        var process = new FakeProcess();
        var between = process.Between();

        // Nothing allocated: no collection is due, yet the scrape's gzip members freed C memory.
        between.AfterResponse();
        await Eventually.HoldsAsync(() => between.Trimmed == 1);
        process.Allocated += GarbageCollectionBetweenScrapes.AllocatedBytes;
        between.AfterResponse();
        await Eventually.HoldsAsync(() => between.Trimmed == 2);
        await Task.Delay(Settled);

        Assert.Equal("TCT", process.Runs);
    }

    [Fact]
    public void TrimNativeHeap_GivesTheCHeapsFreePagesBack()
    {
        // Chunks the size of zlib's deflate state, each followed by a small one that stays: glibc gives the freed chunks
        // back by itself only when they reach its arena's top, which the small ones keep them from, as other C memory of a
        // server kept the deflate states of its gzip members from it.
        const int Chunk = 256 * 1024;
        const int Chunks = 256;
        var freed = new nint[Chunks];
        var kept = new nint[Chunks];
        unsafe
        {
            // Freeing one mapped chunk raises glibc's mapping threshold past it, so the chunks come from the arena.
            NativeMemory.Free(NativeMemory.Alloc(4 * Chunk));
            for (int i = 0; i < Chunks; i++)
            {
                freed[i] = (nint)NativeMemory.Alloc(Chunk);
                new Span<byte>((void*)freed[i], Chunk).Fill(1);
                kept[i] = (nint)NativeMemory.Alloc(64);
            }

            try
            {
                foreach (nint chunk in freed)
                {
                    NativeMemory.Free((void*)chunk);
                }

                // Counted in the mappings that hold the chunks only: other tests allocate beside this one. Where the
                // small chunks came from free ones elsewhere, the freed run reached the top and glibc gave it back
                // itself: what is checked is that none of it stays resident after the trim.
                long before = ResidentBytesAround(freed);
                Assert.True(ProcessCollector.TrimNativeHeap());
                long after = ResidentBytesAround(freed);
                Assert.True(after <= Chunks * (long)Chunk / 4, $"resident {before} -> {after} bytes");
            }
            finally
            {
                foreach (nint chunk in kept)
                {
                    NativeMemory.Free((void*)chunk);
                }
            }
        }
    }

    [Fact]
    public async Task TheEndpoint_RunsTheProcessCollector_OnlyWhenTurnedOn()
    {
        var off = new MetricsEndpoint(new FixedSource(), new ChorusEndpointOptions { IncludeSelfMetrics = false }, NullLogger.Instance);
        var on = new MetricsEndpoint(new FixedSource(), new ChorusEndpointOptions { IncludeSelfMetrics = false, CollectGarbageBetweenScrapes = true }, NullLogger.Instance);
        Assert.Null(off.CollectionsBetweenScrapes);
        GarbageCollectionBetweenScrapes between = on.CollectionsBetweenScrapes!;

        // Other tests allocate and collect beside this one, so a scrape may find a collection it did not ask for and
        // start counting again: scrape until one was run, with more than a MiB allocated before each.
        int gen1Before = GC.CollectionCount(1);
        for (int scrape = 0; scrape < 200 && between.Run == 0; scrape++)
        {
            GC.KeepAlive(new byte[2 * GarbageCollectionBetweenScrapes.AllocatedBytes]);
            await ScrapeAsync(on);
            await Task.Delay(scrape < 2 ? 0 : 20);
        }

        Assert.True(between.Run > 0, "no collection was run between scrapes");
        await Eventually.HoldsAsync(() => between.Trimmed > 0);

        // The last scrapes' runs would otherwise trim beside the next test of this class.
        await Eventually.HoldsAsync(() => !between.Pending);
        Assert.True(GC.CollectionCount(1) > gen1Before);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    /// <summary>The resident bytes of the process's mappings that hold any of <paramref name="addresses"/> (/proc/self/smaps).</summary>
    private static long ResidentBytesAround(nint[] addresses)
    {
        long total = 0;
        bool holds = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash
                && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
            {
                holds = addresses.Any(address => (ulong)address >= start && (ulong)address < end);
            }
            else if (holds && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                total += long.Parse(line["Rss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return total;
    }

    private static async Task ScrapeAsync(MetricsEndpoint endpoint)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Accept = "text/plain;version=0.0.4";
        context.Response.Body = Stream.Null;
        await endpoint.HandleAsync(context);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
    }

    /// <summary>A source with one sample.</summary>
    private sealed class FixedSource : IScrapeSource
    {
        public void Collect(IBufferWriter<byte> output, ExpositionFormat format) => output.Write("# TYPE one gauge\none 1\n"u8);
    }
}
