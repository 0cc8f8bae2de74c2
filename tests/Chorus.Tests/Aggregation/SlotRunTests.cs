using Chorus.Aggregation;
using Chorus.Exposition;
using FsCheck.Xunit;

namespace Chorus.Tests.Aggregation;

/// <summary>A label group's run of slots: one slot held as itself, more in an array, in order either way.</summary>
public class SlotRunTests
{
    [Property(MaxTest = 300)]
    public bool InsertsAndRemovals_KeepTheOrderAListKeeps(byte[] operations)
    {
        var group = new LabelGroup(LabelSet.Empty);
        var run = default(SlotRun);
        var model = new List<SeriesSlot>();
        foreach (byte operation in operations ?? [])
        {
            // Mostly inserts, so runs pass through one slot, two, and growth; a removal takes any slot.
            if (operation % 3 == 0 && model.Count > 0)
            {
                int at = operation % model.Count;
                run.RemoveAt(at);
                model.RemoveAt(at);
            }
            else
            {
                int at = operation % (model.Count + 1);
                var slot = new SeriesSlot(group, operation);
                run.Insert(at, slot);
                model.Insert(at, slot);
            }

            if (run.Count != model.Count || !run.AsSpan().SequenceEqual(model.ToArray()))
            {
                return false;
            }

            for (int i = 0; i < model.Count; i++)
            {
                if (!ReferenceEquals(run[i], model[i]))
                {
                    return false;
                }
            }
        }

        return true;
    }

    [Fact]
    public void ALabelGroup_HoldsEachRunInOneReference()
    {
        // 272,000 groups on a GitLab-sized host: a count beside each of its two runs was 16 bytes a group (4 MiB).
        _ = new LabelGroup(LabelSet.Empty);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var group = new LabelGroup(LabelSet.Empty);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, group.Samples.Count);
        Assert.InRange(allocated, 1, 48);
    }

    [Fact]
    public void ASampleSlot_PrintsItsGroupsLabels_OnlyABucketKeepsLabelsAndABound()
    {
        // 256,000 of a GitLab-sized host's 296,000 slots are samples: labels and a bound in each were 16 bytes a slot.
        LabelSet labels = LabelSet.Create(["handler"], ["/api"]);
        var group = new LabelGroup(labels);
        _ = new SeriesSlot(group, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sample = new SeriesSlot(group, 0);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var bucket = new BucketSlot(group, 1, labels.With("le", "0.5"), 0.5);

        Assert.Same(labels, sample.Labels);
        Assert.True(double.IsNaN(sample.Bound));
        Assert.Equal("0.5", bucket.Labels.Find("le"));
        Assert.Equal(0.5, bucket.Bound);
        Assert.InRange(allocated, 1, 56);
    }

    [Fact]
    public void ARunOfOneSlot_AllocatesNoArray()
    {
        // Most of a big host's label groups hold one slot: an array each was 8 MiB of the GitLab-sized host's heap.
        var slot = new SeriesSlot(new LabelGroup(LabelSet.Empty), 0);
        var run = default(SlotRun);
        long before = GC.GetAllocatedBytesForCurrentThread();
        run.Insert(0, slot);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Same(slot, run[0]);
        Assert.Same(slot, run.AsSpan()[0]);
    }
}
