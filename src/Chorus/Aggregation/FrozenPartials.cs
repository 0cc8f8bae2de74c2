namespace Chorus.Aggregation;

/// <summary>
/// The frozen files' contribution to each slot of a family, kept between collections (<see cref="FrozenSlotPart"/>), so
/// merging a family that a live writer changed folds the live files' values into the kept parts instead of every file.
/// </summary>
/// <remarks>
/// A family's parts are built again, in one pass over the frozen files in file order, when it is merged after a file
/// holding it was frozen or thawed (<see cref="FileState.MarkFrozenPartsStale"/>), its fold kind changed (a gauge mode),
/// or the collection merges everything. Frozen files never change while frozen (any open thaws them first), so parts
/// built from them stay true until then.
/// </remarks>
internal static class FrozenPartials
{
    /// <summary>Builds the parts of the families changed in <paramref name="generation"/> whose parts are stale; true when any was built.</summary>
    public static bool Rebuild(List<FamilyState> families, List<FileState> ordered, IReadOnlySet<string> excluded, int generation)
    {
        bool any = false;
        foreach (FamilyState family in families)
        {
            if (family.ChangedIn == generation && (family.FrozenStale || (family.FrozenSlots.Count > 0 && family.FrozenSlots[0].Frozen!.Kind != MergeRules.KindOf(family))))
            {
                foreach (SeriesSlot slot in family.FrozenSlots)
                {
                    slot.Frozen = null;
                }

                family.FrozenSlots.Clear();
                family.FrozenStale = false;
                family.RebuiltIn = generation;
                any = true;
            }
        }

        if (!any)
        {
            return false;
        }

        foreach (FileState file in ordered)
        {
            if (file.Frozen && HoldsRebuiltFamily(file, generation) && !excluded.Contains(file.FileName))
            {
                AddFile(file, generation);
            }
        }

        foreach (FamilyState family in families)
        {
            if (family.RebuiltIn == generation)
            {
                foreach (SeriesSlot slot in family.FrozenSlots)
                {
                    slot.Frozen!.Complete();
                }
            }
        }

        return true;
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

    private static void AddFile(FileState file, int generation)
    {
        EntryTarget[] targets = file.Targets;
        double[] values = file.Values;
        double[] stamps = file.Timestamps;
        for (int i = 0; i < file.Count; i++)
        {
            EntryTarget target = targets[i];
            FamilyState family = target.Key.Family;
            if (family.RebuiltIn != generation || (file.RemovedKeys is { } removed && removed.Contains(target.Key)))
            {
                continue;
            }

            target.LastUsed = generation;
            SeriesSlot slot = MergeRules.SlotFor(target);
            if (slot.Frozen is not { } part)
            {
                slot.Frozen = part = new FrozenSlotPart(MergeRules.KindOf(family), family.KeepsEveryFrozenSum);
                family.FrozenSlots.Add(slot);
            }

            part.Add(file, values[i], file.KeepsTimestamps ? stamps[i] : 0.0);
        }
    }
}
