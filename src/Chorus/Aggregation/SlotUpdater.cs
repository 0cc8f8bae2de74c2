using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Chorus.Aggregation;

/// <summary>
/// One thread's share of the merge per changed slot (<see cref="ChangedSlots"/>): the changed entries of some of the
/// changed files, then the slots among them to fold again from their listed contributions. The files of one share hold
/// families no other share's files hold (<see cref="SlotShares"/>), so shares run at once and write disjoint merge state.
/// </summary>
internal sealed class SlotUpdater
{
    // The families this share updated in place, and the slots it folds again once every changed value is taken.
    private readonly List<FamilyState> _inPlace = [];
    private readonly List<(SeriesSlot Slot, FamilyState Family, FoldKind Kind)> _refolds = [];

    // Room for the values of a listed sum folded again with its frozen part.
    private double[] _refoldValues = [];

    /// <summary>The families the last run updated in place (taken by <see cref="ChangedSlots.Emit"/>).</summary>
    public List<FamilyState> InPlace => _inPlace;

    /// <summary>How many slots the last run updated in place.</summary>
    public int SlotsUpdated { get; private set; }

    /// <summary>How many sum slots with frozen parts the last run folded again in place.</summary>
    public int FrozenSumsRefolded { get; private set; }

    /// <summary>
    /// Updates the slots of the changed entries of the files of share <paramref name="share"/> (every file when
    /// <paramref name="shareOf"/> is null), then folds again the slots that need it; marks each family that only a full merge
    /// can bring up to date changed in <paramref name="generation"/>.
    /// </summary>
    /// <param name="files">The files whose values changed in the collection.</param>
    /// <param name="shareOf">Per file (same index), the share that updates it; null: this share updates every file.</param>
    /// <param name="share">This share's number.</param>
    /// <param name="generation">This collection's pass.</param>
    /// <param name="numbering">Changes whenever file ranks were numbered again.</param>
    public void Run(List<FileState> files, int[]? shareOf, int share, int generation, int numbering)
    {
        _inPlace.Clear();
        SlotsUpdated = 0;
        FrozenSumsRefolded = 0;
        for (int f = 0; f < files.Count; f++)
        {
            if (shareOf is not null && shareOf[f] != share)
            {
                continue;
            }

            FileState file = files[f];
            UpdateFile(file, generation);
            if (file.ChangedEntries is { } bits)
            {
                Array.Clear(bits);
            }

            file.Changes!.Restart(0);
        }

        foreach ((SeriesSlot slot, FamilyState family, FoldKind kind) in _refolds)
        {
            if (family.ChangedIn == generation)
            {
                continue;
            }

            if (!slot.Contributions!.Refold(slot, kind, numbering, ref _refoldValues))
            {
                // A mostrecent gauge's sample appeared or went, or a live value broke a frozen exact run: the full merge.
                family.ChangedIn = generation;
            }
            else if (slot.Frozen is { Contributions: > 0 })
            {
                FrozenSumsRefolded++;
            }
        }

        _refolds.Clear();
    }

    private void UpdateFile(FileState file, int generation)
    {
        ChangedValues changes = file.Changes!;
        ReadOnlySpan<int> entries = changes.Entries;
        ReadOnlySpan<double> olds = changes.OldValues;

        // The new values as the refresh copied them, unless an entry changed twice in the collection (then the file's).
        ReadOnlySpan<double> news = changes.NewValues;
        bool repeated = changes.Repeated;
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

            SeriesSlot? slot = route == SlotRoute.PerFile ? file.PidSlotAt(i) : target.Cached(route);
            if (slot is null || slot.Removed || !TryUpdate(slot, family, kind, file, i, olds[k], repeated ? file.Values[i] : news[k], generation))
            {
                // The full merge folds the family again (slots updated already are started afresh by it).
                family.ChangedIn = generation;
                inPlace = false;
                continue;
            }

            family.PendingSlots.Add(slot);
            SlotsUpdated++;
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
            PrefetchObject(file.PidSlotAt(near) is { } own ? own : targets[near].CachedSlot);
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
            return TakeSingle(slot, kind, value, file.TimestampAt(entry));
        }

        if (slot.Contributions is not { } contributions)
        {
            // The next full merge keeps what this slot (and, for sums, every sum slot of the family) needs.
            slot.Contributions = new SlotContributions { Listed = kind != FoldKind.Sum };
            family.TracksSums |= kind == FoldKind.Sum;
            return false;
        }

        if (contributions.Listed && !contributions.Take(file, entry))
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
        ExactSum frozenSum;
        switch (frozen)
        {
            case null:
                frozenSum = ExactSum.Empty;
                break;
            case FrozenSumPart sumPart:
                frozenSum = sumPart.Exactness();
                break;
            default:
                // Parts built for another fold kind (a gauge's mode changed): they are built again in the full merge.
                return false;
        }

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
}
