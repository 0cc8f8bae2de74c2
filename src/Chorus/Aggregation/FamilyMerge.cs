using Chorus.Exposition;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// The merge stage of a collection: folds the refreshed files' values into the families that changed, in file order, as
/// prometheus_client's <c>MultiProcessCollector</c> does (<see cref="MergeRules"/>), with the frozen files' kept parts
/// (<see cref="FrozenPartials"/>) standing in for the frozen files, and hands the families to emit to the writer.
/// </summary>
/// <remarks>
/// Everything it reads comes in through its arguments (the files in file order, the live ones, the files left out, the
/// collection's number); what it keeps between collections lives in the families of its <see cref="KeyTable"/>. A
/// large merge folds and emits its families on every core (<see cref="MergePartition"/>).
/// </remarks>
/// <param name="keys">The keys and families the merge folds into.</param>
/// <param name="parallelMinimumEntries">From this many entries to fold on, a merge is split among threads.</param>
/// <param name="parallelMinimumChanges">From this many changed entries on, the merge per changed slot is split among threads.</param>
internal sealed class FamilyMerge(KeyTable keys, long parallelMinimumEntries, long parallelMinimumChanges)
{
    // Reused by every collection: the files the merge folds, the families it changes, the families it emits.
    private readonly List<FileState> _merging = [];
    private readonly List<FamilyState> _changed = [];
    private readonly List<FamilyState> _toEmit = [];
    private readonly ChangedSlots _slots = new(parallelMinimumChanges);

    /// <summary>How many families the last merge built frozen parts for over every frozen file (0 when files froze or thawed in place).</summary>
    public int LastFrozenPartsBuilt { get; private set; }

    /// <summary>How many slots the last collection updated per changed slot (<see cref="ChangedSlots"/>).</summary>
    public int LastSlotsUpdated => _slots.LastSlotsUpdated;

    /// <summary>How many threads the last collection's update per changed slot ran on.</summary>
    public int LastSlotWorkers => _slots.LastWorkers;

    /// <summary>How many sum slots with frozen parts the last collection folded again per changed slot (tests).</summary>
    public int LastFrozenSumsRefolded => _slots.LastFrozenSumsRefolded;

    /// <summary>How many threads the last merge of live files folded on (1 when it stayed on the caller's).</summary>
    public int LastMergeWorkers { get; private set; } = 1;

    /// <summary>Notes the live files whose values changed in <paramref name="collection"/> (before any is frozen).</summary>
    public void NoteChangedValues(List<FileState> live, int collection) => _slots.Note(live, collection);

    /// <summary>
    /// Updates per changed slot the families whose entries changed only in value, and marks the others of the changed
    /// entries changed in <paramref name="generation"/>, for <see cref="MergeChanged"/> (<see cref="ChangedSlots"/>);
    /// <paramref name="rankNumbering"/> changes whenever file ranks were numbered again.
    /// </summary>
    public void UpdateChangedSlots(int generation, int rankNumbering) => _slots.Update(generation, rankNumbering);

    /// <summary>
    /// prometheus_client keeps the gauge mode of the last file read for each family. Only a family that changed in this
    /// collection can have another last file (any file read in full, added or gone marks its families), so the gauge
    /// files (one run in file order: their names start with <c>gauge_</c>) are visited from the last one back until each
    /// such family met its last file.
    /// </summary>
    /// <param name="ordered">Every listed file, in file order.</param>
    /// <param name="excluded">Files left out of this collection (a compaction in progress).</param>
    /// <param name="generation">This collection's pass.</param>
    public void ApplyGaugeModes(List<FileState> ordered, IReadOnlySet<string> excluded, int generation)
    {
        int pending = 0;
        foreach (FamilyState family in keys.OrderedFamilies)
        {
            // Only gauge-typed families merge by mode (MergeRules.KindOf); a counter held by no gauge file would keep the
            // loop going to the first gauge file.
            pending += family.ChangedIn == generation && MergesByMode(family) ? 1 : 0;
        }

        for (int i = GaugeFilesEnd(ordered) - 1; i >= 0 && pending > 0; i--)
        {
            FileState file = ordered[i];
            if (!file.FileName.StartsWith("gauge_", StringComparison.Ordinal))
            {
                break;
            }

            if (file.Name.Kind == DbFileKind.Gauge && file.NameError is null && file.Count > 0 && !excluded.Contains(file.FileName))
            {
                GaugeMode mode = file.Name.Mode ?? GaugeMode.All;
                foreach (FamilyState family in file.Families)
                {
                    if (family.ChangedIn == generation && family.ModeSetIn != generation)
                    {
                        family.ModeSetIn = generation;
                        family.Mode = mode;
                        pending -= MergesByMode(family) ? 1 : 0;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Merges the families that changed in <paramref name="generation"/>: the live files' values, in file order, folded
    /// into the frozen files' kept parts (<see cref="FrozenPartials"/>), which gives what a fold over every file in file
    /// order gives. A family where that does not hold this time is folded over every file instead.
    /// </summary>
    /// <param name="ordered">Every listed file, in file order.</param>
    /// <param name="live">The files not frozen, in file order.</param>
    /// <param name="excluded">Files left out of this collection.</param>
    /// <param name="generation">This collection's pass.</param>
    /// <param name="rankNumbering">Changes whenever file ranks were numbered again.</param>
    public void MergeChanged(List<FileState> ordered, List<FileState> live, IReadOnlySet<string> excluded, int generation, int rankNumbering)
    {
        LastFrozenPartsBuilt = 0;
        LastMergeWorkers = 1;
        if (!AnyFamilyChangedIn(generation))
        {
            return;
        }

        List<FamilyState> families = keys.OrderedFamilies;
        LastFrozenPartsBuilt = FrozenPartials.Rebuild(families, ordered, excluded, generation);
        _merging.Clear();
        foreach (FileState file in live)
        {
            if (!file.Frozen && !excluded.Contains(file.FileName) && file.HoldsChangedFamily(generation))
            {
                _merging.Add(file);
            }
        }

        int workers = MergePartition.Assign(_merging, generation, parallelMinimumEntries, _changed);
        LastMergeWorkers = workers;
        if (workers == 1)
        {
            foreach (FileState file in _merging)
            {
                MergeLiveFile(file, generation, rankNumbering, worker: -1, workers);
            }
        }
        else
        {
            MergePartition.OnWorkers(workers, worker =>
            {
                foreach (FileState file in _merging)
                {
                    if (MergePartition.HoldsFamilyOf(file, generation, worker, workers))
                    {
                        MergeLiveFile(file, generation, rankNumbering, worker, workers);
                    }
                }
            });
        }

        if (FrozenPartials.Finish(families, generation, rankNumbering) is { } notInOrder)
        {
            MergeInOrder(notInOrder, ordered, excluded, generation);
        }
    }

    /// <summary>
    /// Rebuilds the samples of the families merged in <paramref name="generation"/> and lists, in name order, every family
    /// that has output (the others keep the samples of their last merge).
    /// </summary>
    /// <param name="generation">This collection's pass.</param>
    /// <param name="accumulate">Whether histogram buckets are cumulative, with a <c>_count</c> (prometheus_client's accumulate).</param>
    /// <param name="output">Receives the families' samples.</param>
    /// <param name="emitted">Receives the families themselves (their rendered bytes).</param>
    /// <returns>How many families were merged again.</returns>
    public int Emit(int generation, bool accumulate, List<MetricFamily> output, List<FamilyState> emitted)
    {
        output.Clear();
        emitted.Clear();
        _toEmit.Clear();
        int merged = _slots.Emit(generation, accumulate);
        foreach (FamilyState family in keys.OrderedFamilies)
        {
            if (family.ChangedIn == generation)
            {
                merged++;
                family.MergedIn = generation;
                family.Output.Edits.Invalidate();
                family.SlotsReady = true;
                family.Emitted = family.Generation == generation;
                if (family.Emitted)
                {
                    _toEmit.Add(family);
                }
            }

            if (family.Emitted)
            {
                output.Add(family.Output);
                emitted.Add(family);
            }
        }

        EmitSamples(generation, accumulate);
        return merged;
    }

    private static bool MergesByMode(FamilyState family) => family.Type is MetricType.Gauge or MetricType.Info or MetricType.StateSet;

    /// <summary>The index just past the last gauge file in file order.</summary>
    private static int GaugeFilesEnd(List<FileState> ordered)
    {
        // "gauge`" sorts just after every name that starts with "gauge_" ('`' follows '_').
        int low = 0;
        int high = ordered.Count;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (string.CompareOrdinal(ordered[middle].FileName, "gauge`") < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>
    /// Folds one live file's entries of the changed families into their slots. Entries of a family come together in a
    /// file, so what the family says (changed or not, its fold kind, whether it has frozen parts) is read once per run.
    /// </summary>
    /// <param name="file">A live file.</param>
    /// <param name="generation">This collection's pass.</param>
    /// <param name="numbering">Changes whenever file ranks were numbered again.</param>
    /// <param name="worker">The worker folding (only its families, <see cref="FamilyState.MergeWorker"/>); -1 for every family.</param>
    /// <param name="workers">How many workers fold.</param>
    private static void MergeLiveFile(FileState file, int generation, int numbering, int worker, int workers)
    {
        EntryTarget[] targets = file.Targets;
        EntryValues values = file.Values;
        // Empty until a timestamp is not 0 (a mostrecent gauge's), then as long as the file's other arrays.
        double[] stamps = file.Timestamps;
        bool keepsTimestamps = stamps.Length != 0;
        HashSet<ParsedKey>? removed = file.RemovedKeys;
        FamilyState? family = null;
        bool changed = false;
        bool hasFrozenParts = false;
        bool tracksSums = false;
        FoldKind kind = FoldKind.Sum;
        SlotRoute route = SlotRoute.Fixed;
        ListedFiles? listed = null;
        for (int i = 0; i < file.Count; i++)
        {
            EntryTarget target = targets[i];
            ParsedKey key = target.Key;
            if (key.Family != family)
            {
                family = key.Family;
                listed = null;
                // Modulo the workers: a family whose number is from an earlier merge still has exactly one worker.
                changed = family.ChangedIn == generation && (worker < 0 || family.MergeWorker % workers == worker);
                hasFrozenParts = family.FrozenSlots.Count > 0;
                kind = MergeRules.KindOf(family);
                route = MergeRules.RouteOf(family, file.Pid);
                tracksSums = family.TracksSums && kind == FoldKind.Sum;
            }

            if (!changed || (removed is not null && removed.Contains(key)))
            {
                continue;
            }

            // The slot cached by the file or the key's target, without going through the family again.
            SeriesSlot? slot = route == SlotRoute.PerFile ? file.PidSlotAt(i) : target.Cached(route);
            if (slot is null || slot.Removed)
            {
                slot = MergeRules.SlotOn(file, i, route);
            }

            if (hasFrozenParts && slot.Frozen is { } part)
            {
                // The frozen contributions ranked before this file come first.
                part.Advance(slot, file.Rank, values[i], generation, numbering);
            }

            family.Generation = generation;
            slot.Touch(generation);
            double value = values[i];
            MergeRules.Fold(slot, kind, value, keepsTimestamps ? stamps[i] : 0.0);
            slot.Folds++;
            if ((tracksSums ? slot.Contributions ??= new SlotContributions() : slot.Contributions) is { } contributions)
            {
                contributions.Record(file, i, value, listed ??= family.ListedFilesFor(generation).With(file));
            }
        }
    }

    /// <summary>Folds <paramref name="families"/> again over every file, frozen ones from memory, in file order.</summary>
    private static void MergeInOrder(List<FamilyState> families, List<FileState> ordered, IReadOnlySet<string> excluded, int generation)
    {
        foreach (FamilyState family in families)
        {
            family.FoldedInOrderIn = generation;
            foreach (OutputGroup place in family.OrderedGroups)
            {
                if (place is not LabelGroup group)
                {
                    ((SeriesSlot)place).Restart();
                    continue;
                }

                foreach (SeriesSlot slot in group.Samples.AsSpan())
                {
                    slot.Restart();
                }

                foreach (SeriesSlot bucket in group.Buckets.AsSpan())
                {
                    bucket.Restart();
                }
            }
        }

        foreach (FileState file in ordered)
        {
            if (excluded.Contains(file.FileName))
            {
                continue;
            }

            HashSet<ParsedKey>? removed = file.RemovedKeys;
            for (int i = 0; i < file.Count; i++)
            {
                EntryTarget target = file.Targets[i];
                if (target.Key.Family.FoldedInOrderIn == generation && (removed is null || !removed.Contains(target.Key)))
                {
                    MergeRules.Apply(file, i, generation);
                }
            }
        }
    }

    /// <summary>
    /// Rebuilds the samples of the families to emit: on the merge's threads when it was split (each family's samples are
    /// its own), the heaviest families first, each thread taking the next.
    /// </summary>
    private void EmitSamples(int generation, bool accumulate)
    {
        if (LastMergeWorkers == 1 || _toEmit.Count < 2)
        {
            foreach (FamilyState family in _toEmit)
            {
                MergeRules.Emit(family, generation, accumulate);
            }

            return;
        }

        _toEmit.Sort(static (a, b) => b.MergeWeight.CompareTo(a.MergeWeight));
        int next = -1;
        MergePartition.OnWorkers(LastMergeWorkers, _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < _toEmit.Count; i = Interlocked.Increment(ref next))
            {
                MergeRules.Emit(_toEmit[i], generation, accumulate);
            }
        });
    }

    private bool AnyFamilyChangedIn(int generation)
    {
        foreach (FamilyState family in keys.OrderedFamilies)
        {
            if (family.ChangedIn == generation)
            {
                return true;
            }
        }

        return false;
    }
}
