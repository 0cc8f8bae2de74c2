using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// The merge per changed slot: a family whose entries changed only in value since its last full merge (no entry added or
/// gone, no file read in full, frozen, thawed or left out) has only the slots of its changed entries updated, and only
/// their samples emitted again (<see cref="MetricFamily.Edits"/>), bit for bit what a fold over every file in file order
/// gives (prometheus_client's <c>MultiProcessCollector</c>). Any other family takes the full merge (<see cref="FamilyMerge"/>).
/// </summary>
/// <remarks>
/// <para>A slot with one contribution (the <c>all</c> gauges' per-file slots) takes the fold of its new value. A sum slot
/// whose contributions add up exactly in any order (<see cref="ExactSum"/>: whole counts) takes <c>new - old</c>, every
/// step exact. Any other slot (a histogram's <c>_sum</c>, a livesum gauge, a min or max over several files) is folded
/// again from its contributions listed by the last full merge (<see cref="SlotContributions"/>), a sum with its frozen
/// part's values between them in file order (<see cref="FrozenSlotPart.FoldSum"/>). When none of these applies (the
/// first time a slot needs a list, a min, max or mostrecent slot with frozen parts, a mostrecent gauge's sample appearing
/// or going, a live value breaking a frozen exact run) the family takes the full merge instead, which keeps what the
/// next collection needs.</para>
/// <para>The old values come from the refresh (<see cref="ChangedValues"/>, per file); this stage writes only merge state.</para>
/// </remarks>
internal sealed class ChangedSlots
{
    // The files whose values changed in the collection (noted before files are frozen), and the families updated in place.
    private readonly List<FileState> _files = [];
    private readonly List<FamilyState> _inPlace = [];
    private readonly List<int> _changedSamples = [];
    private readonly List<(SeriesSlot Slot, FamilyState Family, FoldKind Kind)> _refolds = [];

    /// <summary>How many slots the last collection updated in place (tests).</summary>
    public int LastSlotsUpdated { get; private set; }

    /// <summary>How many sum slots with frozen parts the last collection folded again in place (tests).</summary>
    public int LastFrozenSumsRefolded { get; private set; }

    /// <summary>Notes the live files whose values changed in <paramref name="collection"/> (before any is frozen).</summary>
    public void Note(List<FileState> live, int collection)
    {
        _files.Clear();
        foreach (FileState file in live)
        {
            if (file.ChangedInCollection == collection && file.Changes is { Count: > 0 } changes && changes.Collection == collection)
            {
                _files.Add(file);
            }
        }
    }

    /// <summary>
    /// Updates the slots of the changed entries of families that changed only in value; marks every other family of a
    /// changed entry changed in <paramref name="generation"/> (the full merge). Call after the files were frozen and the
    /// families that must merge in full were marked; <paramref name="numbering"/> changes whenever file ranks were renumbered.
    /// </summary>
    public void Update(int generation, int numbering)
    {
        _inPlace.Clear();
        LastSlotsUpdated = 0;
        LastFrozenSumsRefolded = 0;
        foreach (FileState file in _files)
        {
            UpdateFile(file, generation);
            if (file.ChangedEntries is { } bits)
            {
                Array.Clear(bits);
            }

            file.Changes!.Restart(0);
        }

        _files.Clear();
        foreach ((SeriesSlot slot, FamilyState family, FoldKind kind) in _refolds)
        {
            if (family.ChangedIn == generation)
            {
                continue;
            }

            if (!slot.Contributions!.Refold(slot, kind, numbering))
            {
                // A mostrecent gauge's sample appeared or went, or a live value broke a frozen exact run: the full merge.
                family.ChangedIn = generation;
            }
            else if (slot.Frozen is { Contributions: > 0 })
            {
                LastFrozenSumsRefolded++;
            }
        }

        _refolds.Clear();
    }

    /// <summary>
    /// Emits the families updated in place in <paramref name="generation"/>: the changed slots' samples (with the later
    /// buckets and <c>_count</c> of a cumulative histogram) take their new values, and <see cref="MetricFamily.Edits"/>
    /// lists them. Returns how many families were updated.
    /// </summary>
    public int Emit(int generation, bool accumulate)
    {
        int families = 0;
        foreach (FamilyState family in _inPlace)
        {
            if (family.ChangedIn != generation)
            {
                families++;
                EmitInPlace(family, generation, accumulate);
            }

            family.PendingSlots.Clear();
        }

        _inPlace.Clear();
        return families;
    }

    /// <summary>True when <paramref name="family"/> was updated in place in <paramref name="generation"/> (not merged in full).</summary>
    public static bool UpdatedInPlace(FamilyState family, int generation) => family.InPlaceIn == generation && family.ChangedIn != generation;

    private void UpdateFile(FileState file, int generation)
    {
        ChangedValues changes = file.Changes!;
        ReadOnlySpan<int> entries = changes.Entries;
        ReadOnlySpan<double> olds = changes.OldValues;

        // The new values as the refresh copied them, unless an entry changed twice in the collection (then the file's).
        ReadOnlySpan<double> news = changes.Repeated ? file.Values : changes.NewValues;
        EntryTarget[] targets = file.Targets;
        HashSet<ParsedKey>? removed = file.RemovedKeys;
        FamilyState? family = null;
        bool inPlace = false;
        FoldKind kind = FoldKind.Sum;
        SlotRoute route = SlotRoute.Fixed;
        bool prefetch = Sse.IsSupported;
        for (int k = 0; k < entries.Length; k++)
        {
            int i = entries[k];
            if (i >= file.Count)
            {
                continue;
            }

            if (prefetch)
            {
                Prefetch(file, entries, k, targets);
            }

            EntryTarget target = targets[i];
            if (target.Family != family)
            {
                family = target.Family;
                inPlace = Begin(family, file, generation);
                kind = MergeRules.KindOf(family);
                route = MergeRules.RouteOf(family, file.Pid);
            }

            if (!inPlace || (removed is not null && removed.Contains(target.Key)))
            {
                continue;
            }

            SeriesSlot? slot = route == SlotRoute.PerFile ? file.PidSlots[i] : target.Cached(route);
            if (slot is null || slot.Removed || !TryUpdate(slot, family, kind, file, i, olds[k], news[changes.Repeated ? i : k], generation))
            {
                // The full merge folds the family again (slots updated already are started afresh by it).
                family.ChangedIn = generation;
                inPlace = false;
                continue;
            }

            family.PendingSlots.Add(slot);
            LastSlotsUpdated++;
        }
    }

    /// <summary>
    /// Asks for what entries further on will load (their targets, then the slots of nearer ones), so the scattered loads
    /// of several changed entries overlap instead of waiting one after another.
    /// </summary>
    private static void Prefetch(FileState file, ReadOnlySpan<int> entries, int k, EntryTarget[] targets)
    {
        const int TargetsAhead = 8;
        const int SlotsAhead = 4;
        if (k + TargetsAhead < entries.Length && entries[k + TargetsAhead] < file.Count)
        {
            PrefetchObject(targets[entries[k + TargetsAhead]]);
        }

        if (k + SlotsAhead < entries.Length && entries[k + SlotsAhead] is int near && near < file.Count)
        {
            PrefetchObject(file.PidSlots.Length > near && file.PidSlots[near] is { } own ? own : targets[near].CachedSlot);
        }
    }

    private static unsafe void PrefetchObject(object? value)
    {
        if (value is not null)
        {
            // The object's address; a prefetch of an address the GC has since moved from is harmless.
            Sse.Prefetch0((void*)Unsafe.As<object, nint>(ref value));
        }
    }

    /// <summary>Whether <paramref name="family"/> can be updated per slot in this collection; marks it for the full merge when not.</summary>
    private bool Begin(FamilyState family, FileState file, int generation)
    {
        if (family.ChangedIn == generation)
        {
            return false;
        }

        if (!family.SlotsReady || family.FrozenStale || !family.Emitted || file.Frozen
            || (family.FrozenSlots.Count > 0 && family.FrozenKind != MergeRules.KindOf(family)))
        {
            family.ChangedIn = generation;
            return false;
        }

        if (family.InPlaceIn != generation)
        {
            family.InPlaceIn = generation;
            family.PendingSlots.Clear();
            _inPlace.Add(family);
        }

        return true;
    }

    /// <summary>Updates one slot for the change of entry <paramref name="entry"/> of <paramref name="file"/> from <paramref name="old"/> to <paramref name="value"/>; false when only a full merge can.</summary>
    private bool TryUpdate(SeriesSlot slot, FamilyState family, FoldKind kind, FileState file, int entry, double old, double value, int generation)
    {
        FrozenSlotPart? frozen = slot.Frozen is { Contributions: > 0 } part ? part : null;
        if (slot.Folds == 1 && frozen is null)
        {
            return TakeSingle(slot, kind, value, file.KeepsTimestamps ? file.Timestamps[entry] : 0.0);
        }

        if (slot.Contributions is not { } contributions)
        {
            // The next full merge keeps what this slot (and, for sums, every sum slot of the family) needs.
            slot.Contributions = new SlotContributions { Listed = kind != FoldKind.Sum };
            family.TracksSums |= kind == FoldKind.Sum;
            return false;
        }

        if (contributions.Listed && !contributions.Take(file, entry, value))
        {
            return false;
        }

        if (contributions.RefoldedIn == generation)
        {
            // Folded again once every changed value is taken.
            return true;
        }

        if (kind == FoldKind.Sum && TrySwap(slot, contributions, frozen, old, value))
        {
            return true;
        }

        if (!contributions.Listed || (frozen is not null && kind != FoldKind.Sum))
        {
            contributions.Listed = true;
            return false;
        }

        contributions.RefoldedIn = generation;
        _refolds.Add((slot, family, kind));
        return true;
    }

    /// <summary>A sum slot whose values add up exactly before and after: the new value swapped in for the old, exactly.</summary>
    private static bool TrySwap(SeriesSlot slot, SlotContributions contributions, FrozenSlotPart? frozen, double old, double value)
    {
        ExactSum frozenSum = frozen?.Exactness() ?? ExactSum.Empty;
        if (!contributions.Exact.Join(frozenSum).IsExact)
        {
            return false;
        }

        ExactSum next = contributions.Exact.Replace(old, value);
        if (!next.Join(frozenSum).IsExact)
        {
            return false;
        }

        // Both steps are exact; a zero sum is +0, as a fold from +0 gives.
        double sum = slot.Value - old + value;
        slot.Value = sum == 0.0 ? 0.0 : sum;
        contributions.Exact = next;
        return true;
    }

    /// <summary>A slot with one contribution: what a fold of that one value from an empty slot gives; false when its sample appeared or went.</summary>
    private static bool TakeSingle(SeriesSlot slot, FoldKind kind, double value, double stamp)
    {
        bool had = slot.HasValue;
        slot.Value = 0.0;
        slot.Timestamp = 0.0;
        slot.HasValue = false;
        MergeRules.Fold(slot, kind, value, stamp);
        return slot.HasValue == had;
    }

    private void EmitInPlace(FamilyState family, int generation, bool accumulate)
    {
        List<Sample> samples = family.Output.SampleList;
        List<int> changed = _changedSamples;
        changed.Clear();
        foreach (SeriesSlot slot in family.PendingSlots)
        {
            if (!slot.HasValue)
            {
                // Not emitted (a mostrecent gauge never set), and still not.
                continue;
            }

            if (double.IsNaN(slot.Bound) || !accumulate)
            {
                Set(samples, slot.SampleIndex, slot.Value, changed);
            }
            else if (slot.Group.EmittedInPlaceIn != generation)
            {
                // The group's cumulative buckets and _count, once, as MergeRules.Emit adds them.
                slot.Group.EmittedInPlaceIn = generation;
                EmitBuckets(slot.Group, slot.Generation, samples, changed);
            }
        }

        if (changed.Count == 0)
        {
            return;
        }

        changed.Sort();
        SampleEdits edits = family.Output.Edits;
        edits.Start(family.MergedIn, generation);
        edits.Changed.AddRange(changed);
        family.MergedIn = generation;
    }

    private static void EmitBuckets(LabelGroup group, int emittedIn, List<Sample> samples, List<int> changed)
    {
        double cumulative = 0.0;
        int last = -1;
        foreach (SeriesSlot bucket in group.Buckets.AsSpan())
        {
            if (bucket.Generation == emittedIn)
            {
                cumulative += bucket.Value;
                last = bucket.SampleIndex;
                Set(samples, last, cumulative, changed);
            }
        }

        Set(samples, last + 1, cumulative, changed);
    }

    private static void Set(List<Sample> samples, int index, double value, List<int> changed)
    {
        Sample sample = samples[index];
        if (BitConverter.DoubleToInt64Bits(sample.Value) != BitConverter.DoubleToInt64Bits(value))
        {
            samples[index] = sample with { Value = value };
            changed.Add(index);
        }
    }
}
