using Chorus.Exposition;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// prometheus_client's accumulate rules (newest version), applied one entry at a time in file order:
/// counters, summaries, histogram buckets and <c>_sum</c> are summed; gauges follow the family's mode.
/// </summary>
internal static class MergeRules
{
    public const string PidLabel = "pid";

    /// <summary>Folds the value of entry <paramref name="index"/> of <paramref name="file"/> into its slot.</summary>
    public static void Apply(FileState file, int index, int generation)
    {
        FamilyState family = file.Targets[index].Key.Family;
        family.Generation = generation;
        SeriesSlot slot = SlotFor(file, index);
        slot.Touch(generation);
        double value = file.Values[index];
        Fold(slot, KindOf(family), value, file.TimestampAt(index));
        slot.Folds++;
        slot.Contributions?.Record(file, index, value, family.ListedFilesFor(generation).With(file));
    }

    /// <summary>How the values of <paramref name="family"/> that meet in one slot combine.</summary>
    public static FoldKind KindOf(FamilyState family)
    {
        // Info and stateset families are stored as gauges (Chorus writers, see docs/architecture.md) and merge as such.
        if (family.Type is not (MetricType.Gauge or MetricType.Info or MetricType.StateSet))
        {
            return FoldKind.Sum;
        }

        return family.Mode switch
        {
            GaugeMode.All or GaugeMode.LiveAll => FoldKind.Last,
            GaugeMode.Min or GaugeMode.LiveMin => FoldKind.Min,
            GaugeMode.Max or GaugeMode.LiveMax => FoldKind.Max,
            GaugeMode.MostRecent or GaugeMode.LiveMostRecent => FoldKind.MostRecent,
            _ => FoldKind.Sum,
        };
    }

    /// <summary>Where the slots of <paramref name="family"/>'s entries are found in a file with pid <paramref name="pid"/> (null: none).</summary>
    public static SlotRoute RouteOf(FamilyState family, string? pid)
    {
        if (family.Type is MetricType.Gauge or MetricType.Info or MetricType.StateSet)
        {
            // all/liveall gauges keep one series per file.
            return !family.Mode.KeepsPid() ? SlotRoute.DropPid : pid is null ? SlotRoute.KeepPid : SlotRoute.PerFile;
        }

        return pid is null ? SlotRoute.Fixed : SlotRoute.PerFile;
    }

    /// <summary>
    /// The slot the value of entry <paramref name="index"/> of <paramref name="file"/> goes to (created on first use). A
    /// slot that carries the file's pid is cached by the file, others by the key's target.
    /// </summary>
    public static SeriesSlot SlotFor(FileState file, int index) =>
        SlotOn(file, index, RouteOf(file.Targets[index].Key.Family, file.Pid));

    /// <summary>As <see cref="SlotFor(FileState, int)"/>, for a caller that knows the entry's route (<see cref="RouteOf"/>).</summary>
    public static SeriesSlot SlotOn(FileState file, int index, SlotRoute route)
    {
        EntryTarget target = file.Targets[index];
        if (route == SlotRoute.PerFile)
        {
            ref SeriesSlot? own = ref file.PidSlotCache(index);
            return own is { Removed: false } slot ? slot : (own = NewSlot(target.Key, route, file.Pid));
        }

        if (target.Cached(route) is { Removed: false } cached)
        {
            return cached;
        }

        SeriesSlot created = NewSlot(target.Key, route, pid: null);
        target.Cache(route, created);
        return created;
    }

    /// <summary>Folds one more value (in file order) into a slot touched by this collection.</summary>
    public static void Fold(SeriesSlot slot, FoldKind kind, double value, double timestamp)
    {
        switch (kind)
        {
            case FoldKind.Last:
                slot.Value = value;
                slot.HasValue = true;
                break;
            case FoldKind.Min:
                // Strict compare with the first value seen as seed: a NaN seed sticks, a NaN never replaces.
                if (!slot.HasValue || value < slot.Value)
                {
                    slot.Value = value;
                    slot.HasValue = true;
                }

                break;
            case FoldKind.Max:
                if (!slot.HasValue || value > slot.Value)
                {
                    slot.Value = value;
                    slot.HasValue = true;
                }

                break;
            case FoldKind.MostRecent:
                // Strictly newer than the best so far, which starts at 0: a never-set gauge has no sample.
                if (slot.Timestamp < timestamp)
                {
                    slot.Value = value;
                    slot.Timestamp = timestamp;
                    slot.HasValue = true;
                }

                break;
            default:
                slot.Value += value;
                slot.HasValue = true;
                break;
        }
    }

    // A family's sample list at least this long is cut down to what it holds (and a sixteenth) when more than an eighth is unused.
    private const int TrimmedSamplesMinimum = 4096;

    /// <summary>Rebuilds the samples of a family touched by this collection, in output order.</summary>
    public static void Emit(FamilyState family, int generation, bool accumulate)
    {
        MetricFamily output = family.Output;
        List<Sample> samples = output.SampleList;
        output.ClearSamples();
        List<OutputGroup> places = family.OrderedGroups;
        GrowForEmit(samples, places, generation);
        for (int g = 0; g < places.Count; g++)
        {
            OutputGroup place = places[g];
            if (place.Generation != generation)
            {
                continue;
            }

            if (place is not LabelGroup group)
            {
                AddSample(family, (SeriesSlot)place, generation);
                continue;
            }

            if (group.Buckets.Count > 0)
            {
                double cumulative = 0.0;
                bool any = false;
                foreach (SeriesSlot bucket in group.Buckets.AsSpan())
                {
                    if (bucket.Generation != generation)
                    {
                        continue;
                    }

                    any = true;
                    cumulative += bucket.Value;
                    bucket.SampleIndex = samples.Count;
                    output.AddSample(new Sample(family.BucketName, bucket.Labels, accumulate ? cumulative : bucket.Value), null);
                }

                if (any && accumulate)
                {
                    output.AddSample(new Sample(family.CountName, group.Labels, cumulative), null);
                }
            }

            foreach (SeriesSlot slot in group.Samples.AsSpan())
            {
                AddSample(family, slot, generation);
            }
        }

        output.DropPidsIfNone();

        if (samples.Capacity >= TrimmedSamplesMinimum && samples.Capacity - samples.Count > samples.Capacity / 8)
        {
            // The list grew by doubling and is kept for the family's life: a fifth of a big family's samples were room.
            samples.Capacity = samples.Count + (samples.Count / 16);
            output.TrimPids();
        }
    }

    /// <summary>Adds the sample of <paramref name="slot"/> when the collection <paramref name="generation"/> gave it a value.</summary>
    private static void AddSample(FamilyState family, SeriesSlot slot, int generation)
    {
        if (slot.Generation == generation && slot.HasValue)
        {
            MetricFamily output = family.Output;
            slot.SampleIndex = output.SampleList.Count;
            LabelSet labels = slot.EmittedLabels(out string? pid);
            output.AddSample(new Sample(family.SampleNameOf(slot), labels, slot.Value), pid);
        }
    }

    /// <summary>
    /// Gives <paramref name="samples"/> room for what <see cref="Emit"/> adds, before it fills: grown by doubling, then cut
    /// down, a big family's list was allocated about three times over in a cold pass (15 of the GitLab-sized host's 305 MB,
    /// all of it memory new to the process). Only ever grown: a family with fewer current groups than groups would
    /// otherwise be reallocated on every emit.
    /// </summary>
    private static void GrowForEmit(List<Sample> samples, List<OutputGroup> groups, int generation)
    {
        if (samples.Capacity < groups.Count)
        {
            int most = MostSamples(groups, generation);
            if (most > samples.Capacity)
            {
                samples.Capacity = most;
            }
        }
    }

    /// <summary>How many samples <see cref="Emit"/> adds at most for the groups touched in <paramref name="generation"/>.</summary>
    private static int MostSamples(List<OutputGroup> places, int generation)
    {
        int most = 0;
        foreach (OutputGroup place in places)
        {
            if (place.Generation != generation)
            {
                continue;
            }

            if (place is LabelGroup group)
            {
                int buckets = group.Buckets.Count;
                most += group.Samples.Count + buckets + (buckets > 0 ? 1 : 0);
            }
            else
            {
                most++;
            }
        }

        return most;
    }

    private static SeriesSlot NewSlot(ParsedKey key, SlotRoute route, string? pid)
    {
        FamilyState family = key.Family;
        return route switch
        {
            SlotRoute.DropPid => family.GetSample(key.Labels.Without(PidLabel), key.SampleName),
            SlotRoute.KeepPid => family.GetSample(key.Labels, key.SampleName),

            // The file's pid overrides a user label named pid.
            SlotRoute.PerFile when family.Type is MetricType.Gauge or MetricType.Info or MetricType.StateSet => PidLabels.Applies(key.Labels)
                ? family.GetPidSample(key.Labels, pid!, key.SampleName)
                : family.GetSample(key.LabelsWithPid(pid!), key.SampleName),
            _ => SampleOrBucket(family, key, pid),
        };
    }

    private static SeriesSlot SampleOrBucket(FamilyState family, ParsedKey key, string? pid) => key.IsBucket
        ? family.GetBucket(WithPid(key.BaseLabels, pid), key.Bound)
        : family.GetSample(WithPid(key.Labels, pid), key.SampleName);

    private static LabelSet WithPid(LabelSet labels, string? pid) => pid is null ? labels : labels.With(PidLabel, pid);
}
