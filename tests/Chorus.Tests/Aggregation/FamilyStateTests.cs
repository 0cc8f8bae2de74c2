using System.Runtime.CompilerServices;
using Chorus.Aggregation;
using Chorus.Exposition;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A family finds the groups in output order by binary search and keeps a dictionary only of those added since: every
/// lookup must find the group a dictionary of all of them would, through sorting, additions and pruning, whether it asks
/// with a label set or with a key's labels and a pid.
/// </summary>
public class FamilyStateTests
{
    // Sets of one shape (sorted by rank keys) and of others (sorted by comparing label sets).
    private static readonly LabelSet[] Pool =
    [
        .. Enumerable.Range(0, 24).Select(i => LabelSet.Create(["handler", "pid"], ["/h" + (i % 6), (100 + (i / 6)).ToString(System.Globalization.CultureInfo.InvariantCulture)])),
        LabelSet.Empty,
        LabelSet.Create(["handler"], ["/h0"]),
        LabelSet.Create(["a"], ["x"]),
        LabelSet.Create(["handler", "method", "pid"], ["/h1", "GET", "100"]),
    ];

    [Property(MaxTest = 300)]
    public Property Lookups_FindTheGroupADictionaryOfAllWould(byte[] operations)
    {
        var family = new FamilyState("f", MetricType.Gauge, "help");
        var model = new Dictionary<(LabelSet Labels, string Name), SeriesSlot>();

        // The label sets whose slots are in a group (a second name was seen, and not every slot pruned since): tracked
        // here, not read from the family, since reading its order sorts it, and lookups among places awaiting their
        // order must be checked too.
        var grouped = new HashSet<LabelSet>();
        int generation = 1;
        foreach (byte operation in operations ?? [])
        {
            LabelSet labels = Pool[operation % Pool.Length];

            // Mostly one sample a label set (slots standing alone), sometimes a second (a group in the slot's place).
            string name = operation % 5 == 0 ? "f_created" : "f";
            switch (operation % 7)
            {
                case 0:
                    if (!SortedAsCompared(family.OrderedGroups) || family.OrderedGroups.Count != Places(model) || family.GroupsAwaitingOrder != 0)
                    {
                        return false.Label("groups out of order, lost or doubled, or a dictionary kept once ordered");
                    }

                    break;
                case 1:
                    // A collection that touches some slots, then prunes the others.
                    generation++;
                    foreach ((_, SeriesSlot slot) in model.Where(pair => pair.Key.GetHashCode() % 2 == operation % 2).ToList())
                    {
                        slot.Touch(generation);
                    }

                    family.Prune(generation);
                    foreach ((LabelSet, string) gone in model.Where(pair => pair.Value.Generation != generation).Select(pair => pair.Key).ToList())
                    {
                        model.Remove(gone);
                    }

                    grouped.RemoveWhere(set => !model.Keys.Any(key => key.Labels.Equals(set)));

                    break;
                default:
                    // An equal set of another instance finds the same group; so do a key's labels and a gauge file's pid
                    // (a slot made so keeps no set), whichever way the slot was made.
                    SeriesSlot found = labels.Find("pid") is { } pid && operation % 3 == 0
                        ? family.GetPidSample(labels.Without("pid"), pid, name)
                        : family.GetSample(LabelSet.Create([.. Enumerable.Range(0, labels.Count).Select(i => KeyValuePair.Create(labels.GetName(i), labels.GetValue(i)))]), name);
                    if (model.TryGetValue((labels, name), out SeriesSlot? known) ? !ReferenceEquals(found, known) : !model.TryAdd((labels, name), found))
                    {
                        return false.Label($"{labels} {name}: another slot than the one held");
                    }

                    if (model.Keys.Count(key => key.Labels.Equals(labels)) > 1)
                    {
                        grouped.Add(labels);
                    }

                    if (family.SampleNameOf(found) != name || !found.Labels.Equals(labels) || (found.Group is null) == grouped.Contains(labels))
                    {
                        return false.Label($"{labels} {name}: a slot of another name or labels, or alone beside another slot");
                    }

                    found.Touch(generation);
                    break;
            }
        }

        return (SortedAsCompared(family.OrderedGroups) && family.OrderedGroups.Count == Places(model)).Label("final order");
    }

    [Fact]
    public void AKeysLabelsAndPid_FindTheSlotOfTheirSet_BeforeAndAfterTheFamilyIsSorted()
    {
        var family = new FamilyState("f", MetricType.Gauge, "help");
        LabelSet keyLabels = LabelSet.Create(["kind"], ["heap"]);
        LabelSet withPid = LabelSet.Create(["kind", "pid"], ["heap", "7"]);
        SeriesSlot made = family.GetPidSample(keyLabels, "7", "f");
        SeriesSlot bySet = family.GetSample(withPid, "f");
        SeriesSlot other = family.GetSample(LabelSet.Create(["kind", "pid"], ["heap", "8"]), "f");

        Assert.Same(made, bySet);
        Assert.Same(made, family.GetPidSample(keyLabels, "7", "f"));
        Assert.Same(other, family.GetPidSample(keyLabels, "8", "f"));
        Assert.Equal("7", made.Pid);
        Assert.Null(other.Pid);
        Assert.Equal(2, family.OrderedGroups.Count);
        Assert.Same(made, family.GetSample(withPid, "f"));
        Assert.Same(other, family.GetPidSample(keyLabels, "8", "f"));
        Assert.Same(made, family.GetPidSample(keyLabels, "7", "f"));
    }

    private static int Places(Dictionary<(LabelSet Labels, string Name), SeriesSlot> model) => model.Keys.Select(key => key.Labels).Distinct().Count();

    [Fact]
    public void OrderedFamily_HoldsNoDictionaryOfItsGroups()
    {
        // A GitLab-sized host's families held 272,000 dictionary entries, 9 MiB, once their groups were ordered.
        var family = new FamilyState("f", MetricType.Gauge, "help");
        for (int i = 0; i < 10_000; i++)
        {
            family.GetSample(LabelSet.Create(["pid"], [i.ToString(System.Globalization.CultureInfo.InvariantCulture)]), "f");
        }

        Assert.Equal(10_000, family.GroupsAwaitingOrder);
        Assert.Equal(10_000, family.OrderedGroups.Count);
        Assert.Equal(0, family.GroupsAwaitingOrder);
        SeriesSlot again = family.GetSample(LabelSet.Create(["pid"], ["4321"]), "f");
        Assert.Same(again, family.OrderedGroups.Single(place => place.Labels.Find("pid") == "4321"));
        Assert.Equal(0, family.GroupsAwaitingOrder);
    }

    [Fact]
    public void ALabelSetOfOneSample_TakesNoGroup_ItsSlotStandsInItsPlace()
    {
        // 256,000 of the GitLab-sized host's 296,000 samples are a gauge's one series per writer: a group each was 13 MB.
        var family = new FamilyState("f", MetricType.Gauge, "help");
        for (int i = 0; i < 1000; i++)
        {
            family.GetSample(LabelSet.Create(["pid"], [i.ToString(System.Globalization.CultureInfo.InvariantCulture)]), "f");
        }

        Assert.All(family.OrderedGroups, place => Assert.Null(Assert.IsType<SeriesSlot>(place).Group));
        Assert.Equal(1000, family.SlotCount);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void ASecondSlotOfALabelSet_PutsAGroupInTheFirstSlotsPlace_KeepingThatSlot(bool ordered, bool bucket)
    {
        var family = new FamilyState("h", MetricType.Histogram, "help");
        LabelSet[] sets = [.. Enumerable.Range(0, 5).Select(i => LabelSet.Create(["a"], [i.ToString(System.Globalization.CultureInfo.InvariantCulture)]))];
        SeriesSlot[] sums = [.. sets.Reverse().Select(labels => family.GetSample(labels, "h_sum"))];
        if (ordered)
        {
            _ = family.OrderedGroups;
        }

        LabelSet middle = sets[2];
        SeriesSlot second = bucket ? family.GetBucket(middle, 0.5) : family.GetSample(middle, "h_count");
        SeriesSlot sum = sums[2];

        Assert.NotNull(sum.Group);
        Assert.Same(sum.Group, second.Group);
        Assert.Same(sum, family.GetSample(middle, "h_sum"));
        Assert.Same(second, bucket ? family.GetBucket(middle, 0.5) : family.GetSample(middle, "h_count"));
        Assert.Equal(5, family.OrderedGroups.Count);
        Assert.Same(sum.Group, family.OrderedGroups[2]);
        Assert.Equal(6, family.SlotCount);

        foreach (SeriesSlot slot in family.OrderedGroups.SelectMany(place => place is LabelGroup group ? [.. group.Buckets.AsSpan(), .. group.Samples.AsSpan()] : new[] { (SeriesSlot)place }))
        {
            slot.Touch(1);
            slot.Value = 1;
            slot.HasValue = true;
        }

        MergeRules.Emit(family, generation: 1, accumulate: true);
        string[] expected = bucket
            ? ["h_sum{a=\"0\"}", "h_sum{a=\"1\"}", "h_bucket{a=\"2\",le=\"0.5\"}", "h_count{a=\"2\"}", "h_sum{a=\"2\"}", "h_sum{a=\"3\"}", "h_sum{a=\"4\"}"]
            : ["h_sum{a=\"0\"}", "h_sum{a=\"1\"}", "h_count{a=\"2\"}", "h_sum{a=\"2\"}", "h_sum{a=\"3\"}", "h_sum{a=\"4\"}"];
        Assert.Equal(expected, family.Output.SampleList.Select(sample => sample.Name + sample.Labels));
    }

    [Fact]
    public void EmittedSamples_KeepNoMoreRoomThanASixteenth()
    {
        // A family's sample list lives as long as the family; grown by doubling it was a fifth empty on a big host.
        var family = new FamilyState("f", MetricType.Gauge, "help");
        for (int i = 0; i < 20_000; i++)
        {
            SeriesSlot slot = family.GetSample(LabelSet.Create(["pid"], [i.ToString(System.Globalization.CultureInfo.InvariantCulture)]), "f");
            slot.Touch(1);
            slot.Value = i;
            slot.HasValue = true;
        }

        MergeRules.Emit(family, generation: 1, accumulate: false);

        List<Sample> samples = family.Output.SampleList;
        Assert.Equal(20_000, samples.Count);
        Assert.Equal(Enumerable.Range(0, 20_000).Sum(i => (double)i), samples.Sum(sample => sample.Value));
        Assert.InRange(samples.Capacity, samples.Count, samples.Count + (samples.Count / 16));
    }

    [Fact]
    public void AColdEmit_AllocatesTheSampleListOnce()
    {
        // A cold pass's every byte is memory new to the process: a list grown by doubling, then cut down, was three.
        var family = new FamilyState("f", MetricType.Histogram, "help");
        for (int i = 0; i < 5_000; i++)
        {
            LabelSet labels = LabelSet.Create(["pid"], [i.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            foreach (SeriesSlot slot in new[] { family.GetBucket(labels, 1.0), family.GetBucket(labels, double.PositiveInfinity), family.GetSample(labels, "f_sum") })
            {
                slot.Touch(1);
                slot.Value = 1;
                slot.HasValue = true;
            }
        }

        _ = family.OrderedGroups;
        long before = GC.GetAllocatedBytesForCurrentThread();
        MergeRules.Emit(family, generation: 1, accumulate: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        List<Sample> samples = family.Output.SampleList;
        Assert.Equal(4 * 5_000, samples.Count);
        Assert.InRange(allocated, samples.Count * Unsafe.SizeOf<Sample>(), (samples.Count * Unsafe.SizeOf<Sample>()) + 1024);
    }

    [Fact]
    public void AnEmit_OfFewerCurrentGroupsThanGroups_DoesNotReallocateTheSampleList()
    {
        // A big family's list is cut down to the samples it held; sizing it again to the current groups' samples then
        // reallocated a list that already had room.
        var family = new FamilyState("f", MetricType.Gauge, "help");
        var slots = new List<SeriesSlot>();
        for (int i = 0; i < 5_000; i++)
        {
            LabelSet labels = LabelSet.Create(["pid"], [i.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            slots.Add(family.GetSample(labels, "f"));
        }

        long allocated = 0;
        for (int generation = 1; generation <= 3; generation++)
        {
            foreach (SeriesSlot slot in slots.Take(generation == 1 ? slots.Count : 100))
            {
                slot.Touch(generation);
                slot.Value = generation;
                slot.HasValue = true;
            }

            _ = family.OrderedGroups;
            long before = GC.GetAllocatedBytesForCurrentThread();
            MergeRules.Emit(family, generation, accumulate: false);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(100, family.Output.SampleList.Count);
        Assert.Equal(0, allocated);
    }

    private static bool SortedAsCompared(List<OutputGroup> groups)
    {
        for (int i = 1; i < groups.Count; i++)
        {
            if (groups[i - 1].Labels.CompareTo(groups[i].Labels) >= 0)
            {
                return false;
            }
        }

        return true;
    }
}
