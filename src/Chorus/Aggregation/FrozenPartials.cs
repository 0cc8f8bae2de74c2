namespace Chorus.Aggregation;

/// <summary>
/// The frozen files' contribution to each slot of a family, kept between collections (<see cref="FrozenSlotPart"/>), so
/// merging a family that a live writer changed folds the live files' values into the kept parts instead of every file.
/// </summary>
/// <remarks>
/// A file frozen or thawed one at a time (a dead worker's file probed, a file a new writer opened) is added to or
/// removed from the built parts of its families at its rank, where the parts can say so and stay a file-order fold
/// (<see cref="FrozenSlotPart.Add"/>, <see cref="FrozenSlotPart.Remove"/>); otherwise, when every frozen file thaws at
/// once, when the family's fold kind changed (a gauge mode) or when the collection merges everything, the family's
/// parts are built again, in one pass over the frozen files in file order, the next time it is merged
/// (<see cref="FamilyState.FrozenStale"/>). Frozen files never change while frozen (any open thaws them first, before
/// they are read again), so parts built from them stay true until then.
/// </remarks>
internal static class FrozenPartials
{
    /// <summary>Builds the parts of the families changed in <paramref name="generation"/> whose parts are stale; returns how many families were built.</summary>
    public static int Rebuild(List<FamilyState> families, List<FileState> ordered, IReadOnlySet<string> excluded, int generation)
    {
        int built = 0;
        foreach (FamilyState family in families)
        {
            if (family.ChangedIn == generation && (family.FrozenStale || family.FrozenKind != MergeRules.KindOf(family)))
            {
                foreach (SeriesSlot slot in family.FrozenSlots)
                {
                    slot.Frozen = null;
                }

                family.FrozenSlots.Clear();
                family.FrozenStale = false;
                family.FrozenKind = MergeRules.KindOf(family);
                family.RebuiltIn = generation;
                built++;
            }
        }

        if (built == 0)
        {
            return 0;
        }

        foreach (FileState file in ordered)
        {
            if (file.Frozen && HoldsRebuiltFamily(file, generation) && !excluded.Contains(file.FileName))
            {
                AddFile(file, generation);
            }
        }

        return built;
    }

    /// <summary>A file was just frozen: adds its values to the built parts of its families, at its rank.</summary>
    public static void AddFrozen(FileState file)
    {
        NotReadyPerSlot(file);
        AddFile(file, rebuiltIn: -1);
    }

    /// <summary>A file was just thawed (its values still the ones it was frozen with): takes them out of the built parts of its families.</summary>
    public static void RemoveThawed(FileState file)
    {
        NotReadyPerSlot(file);
        EntryTarget[] targets = file.Targets;
        EntryValues values = file.Values;
        for (int i = 0; i < file.Count; i++)
        {
            EntryTarget target = targets[i];
            FamilyState family = target.Key.Family;
            if (!InBuiltParts(file, target))
            {
                continue;
            }

            SeriesSlot slot = MergeRules.SlotFor(file, i);
            if (slot.Frozen is not { } part || !part.Remove(file, values[i]))
            {
                family.FrozenStale = true;
            }
            else if (part.Contributions == 0)
            {
                // No frozen file meets here any more: the slot shows only what live files give it.
                slot.Frozen = null;
                family.FrozenSlots.Remove(slot);
            }
        }
    }

    /// <summary>
    /// After the live files' values were folded: folds what is left of every part of the families changed in
    /// <paramref name="generation"/> (<paramref name="numbering"/> changes whenever file ranks were renumbered). Returns the families whose result is not a file-order fold (a live value broke an
    /// exact run), or null.
    /// </summary>
    public static List<FamilyState>? Finish(List<FamilyState> families, int generation, int numbering)
    {
        List<FamilyState>? notInOrder = null;
        foreach (FamilyState family in families)
        {
            if (family.ChangedIn != generation || family.FrozenSlots.Count == 0)
            {
                continue;
            }

            family.Generation = generation;
            bool inOrder = true;
            foreach (SeriesSlot slot in family.FrozenSlots)
            {
                inOrder &= slot.Frozen!.Finish(slot, generation, numbering);
            }

            if (!inOrder)
            {
                family.KeepsEveryFrozenSum = true;
                family.FrozenStale = true;
                (notInOrder ??= []).Add(family);
            }
        }

        return notInOrder;
    }

    /// <summary>The file's contributions move between the frozen parts and the live files: its families merge in full next.</summary>
    private static void NotReadyPerSlot(FileState file)
    {
        foreach (FamilyState family in file.Families)
        {
            family.SlotsReady = false;
        }
    }

    private static bool HoldsRebuiltFamily(FileState file, int generation)
    {
        foreach (FamilyState family in file.Families)
        {
            if (family.RebuiltIn == generation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when an entry of a frozen file counts (not removed) in parts built and updated in place.</summary>
    private static bool InBuiltParts(FileState file, EntryTarget target) =>
        PartsBuilt(target.Key.Family) && !(file.RemovedKeys is { } removed && removed.Contains(target.Key));

    /// <summary>True when the family's parts are built and can be updated in place (else they are built again when it is merged).</summary>
    private static bool PartsBuilt(FamilyState family)
    {
        if (!family.FrozenStale && family.FrozenKind != MergeRules.KindOf(family))
        {
            family.FrozenStale = true;
        }

        return !family.FrozenStale;
    }

    private static FrozenSlotPart PartOf(SeriesSlot slot, FamilyState family)
    {
        if (slot.Frozen is not { } part)
        {
            slot.Frozen = part = FrozenSlotPart.For(family.FrozenKind, family.KeepsEveryFrozenSum);
            family.FrozenSlots.Add(slot);
        }

        return part;
    }

    /// <summary>
    /// Adds a frozen file's values to its families' parts: those built in <paramref name="rebuiltIn"/> (in file order,
    /// where a part always takes the next contribution), or, when -1, every family whose parts are built (in place).
    /// </summary>
    private static void AddFile(FileState file, int rebuiltIn)
    {
        EntryTarget[] targets = file.Targets;
        EntryValues values = file.Values;
        for (int i = 0; i < file.Count; i++)
        {
            EntryTarget target = targets[i];
            FamilyState family = target.Key.Family;
            bool counts = rebuiltIn < 0 ? InBuiltParts(file, target)
                : family.RebuiltIn == rebuiltIn && !(file.RemovedKeys is { } removed && removed.Contains(target.Key));
            if (!counts)
            {
                continue;
            }

            if (!PartOf(MergeRules.SlotFor(file, i), family).Add(file, values[i], file.TimestampAt(i)))
            {
                family.FrozenStale = true;
            }
        }
    }
}
