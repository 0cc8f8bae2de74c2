using Chorus.Aggregation;
using Chorus.AspNetCore.Http;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// A collection between scrapes compacts the heap before the first compaction and whenever the committed heap outgrew the
/// last one by an eighth (and at least 16 MiB), or as much was allocated since; otherwise it is a gen1 collection.
/// </summary>
public sealed class HeapCompactionDueTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void BeforeTheFirstCompaction_OneIsDue()
    {
        Assert.True(new HeapCompactionDue().IsDue(0, 0));
    }

    [Theory]
    [InlineData(40, 40, false)]
    [InlineData(40, 56, false)]
    [InlineData(40, 57, true)]
    [InlineData(256, 288, false)]
    [InlineData(256, 289, true)]
    public void AfterACompaction_OneIsDueOnlyOnceTheHeapGrewByAnEighthAndAtLeast16MiB(long compactedMiB, long nowMiB, bool due)
    {
        var policy = new HeapCompactionDue();
        policy.Compacted(compactedMiB * MiB, 1000 * MiB);

        Assert.Equal(due, policy.IsDue(nowMiB * MiB, 1000 * MiB));
    }

    [Theory]
    [InlineData(40, 16, false)]
    [InlineData(40, 17, true)]
    [InlineData(256, 32, false)]
    [InlineData(256, 33, true)]
    public void AfterACompaction_OneIsDueOnceAnEighthOfTheHeapAndAtLeast16MiBWereAllocated_ThoughTheHeapDidNotGrow(long compactedMiB, long allocatedMiB, bool due)
    {
        // What was held at the compaction and let go since leaves no growth: the GitLab-sized host kept 263 MiB committed
        // for 199 MB live, the bytes allocated since its first compaction bounding what had died.
        var policy = new HeapCompactionDue();
        policy.Compacted(compactedMiB * MiB, 500 * MiB);

        Assert.Equal(due, policy.IsDue(compactedMiB * MiB, (500 + allocatedMiB) * MiB));
    }

    [Theory]
    [InlineData(40, 56, 0, false)]
    [InlineData(40, 57, 0, true)]
    [InlineData(256, 288, 0, false)]
    [InlineData(256, 289, 0, true)]
    [InlineData(40, 40, 500, false)]
    public void TheHeapHasOutgrownTheLastCompaction_ByItsGrowthAlone_NotByBytesAllocated(long compactedMiB, long nowMiB, long allocatedMiB, bool outgrown)
    {
        // Allocation counts for a compaction the allocation counter made due anyway; where the runtime collected between
        // responses, only growth says the heap kept what died (a compaction per second under scrapes a second apart).
        var policy = new HeapCompactionDue();
        Assert.True(policy.IsOutgrown(0));
        policy.Compacted(compactedMiB * MiB, 500 * MiB);

        Assert.Equal(outgrown, policy.IsOutgrown(nowMiB * MiB));
        Assert.Equal(outgrown || allocatedMiB > 16, policy.IsDue(nowMiB * MiB, (500 + allocatedMiB) * MiB));
    }

    [Fact]
    public void TheProcessCollector_CompactsFirst_WithAFullCollection()
    {
        int fullBefore = GC.CollectionCount(GC.MaxGeneration);

        Assert.Equal(CollectionStage.CompactHeap, new ProcessCollector().Collect());
        Assert.True(GC.CollectionCount(GC.MaxGeneration) > fullBefore);
    }

    [Fact]
    public void TheProcessCollector_DoesNotCompact_WhenNotAllowed_ThoughDue()
    {
        // After a preparation, just before a scrape: the first collection is due to compact, and is a gen1 one.
        Assert.Equal(CollectionStage.CollectGarbage, new ProcessCollector().Collect(mayCompact: false));
    }
}
