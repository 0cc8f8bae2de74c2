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
/// part's values between them in file order (<see cref="FrozenSumPart.FoldSum"/>). When none of these applies (the
/// first time a slot needs a list, a min, max or mostrecent slot with frozen parts, a mostrecent gauge's sample appearing
/// or going, a live value breaking a frozen exact run) the family takes the full merge instead, which keeps what the
/// next collection needs.</para>
/// <para>The old values come from the refresh (<see cref="ChangedValues"/>, per file); this stage writes only merge state.</para>
/// <para>A large update runs on every core, each thread updating the files of families no other thread's files hold
/// (<see cref="SlotShares"/>, <see cref="SlotUpdater"/>).</para>
/// </remarks>
/// <param name="parallelMinimumChanges">From this many changed entries on, the update is split among threads.</param>
internal sealed class ChangedSlots(long parallelMinimumChanges)
{
    // The files whose values changed in the collection (noted before files are frozen), and the families updated in place.
    private readonly List<FileState> _files = [];
    private readonly List<FamilyState> _inPlace = [];
    private readonly List<FamilyState> _emitting = [];
    private readonly SlotShares _shares = new();
    private SlotUpdater[] _updaters = [new()];

    // Per thread, the samples an in-place emit changed (one list per updater: as many threads emit as updated).
    private List<int>[] _changedSamples = [[]];

    /// <summary>How many slots the last collection updated in place (tests).</summary>
    public int LastSlotsUpdated { get; private set; }

    /// <summary>How many sum slots with frozen parts the last collection folded again in place (tests).</summary>
    public int LastFrozenSumsRefolded { get; private set; }

    /// <summary>How many threads the last collection's update ran on (tests).</summary>
    public int LastWorkers { get; private set; }

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
        int workers = _shares.Assign(_files, generation, parallelMinimumChanges);
        LastWorkers = workers;
        if (_updaters.Length < workers)
        {
            int had = _updaters.Length;
            Array.Resize(ref _updaters, workers);
            Array.Resize(ref _changedSamples, workers);
            for (int w = had; w < workers; w++)
            {
                _updaters[w] = new SlotUpdater();
                _changedSamples[w] = [];
            }
        }

        if (workers == 1)
        {
            _updaters[0].Run(_files, shareOf: null, 0, generation, numbering);
        }
        else
        {
            MergePartition.OnWorkers(workers, w => _updaters[w].Run(_files, _shares.ShareOf, w, generation, numbering));
        }

        _files.Clear();
        _inPlace.Clear();
        LastSlotsUpdated = 0;
        LastFrozenSumsRefolded = 0;
        for (int w = 0; w < workers; w++)
        {
            SlotUpdater updater = _updaters[w];
            _inPlace.AddRange(updater.InPlace);
            updater.InPlace.Clear();
            LastSlotsUpdated += updater.SlotsUpdated;
            LastFrozenSumsRefolded += updater.FrozenSumsRefolded;
        }
    }

    /// <summary>
    /// Emits the families updated in place in <paramref name="generation"/>: the changed slots' samples (with the later
    /// buckets and <c>_count</c> of a cumulative histogram) take their new values, and <see cref="MetricFamily.Edits"/>
    /// lists them. Returns how many families were updated.
    /// </summary>
    public int Emit(int generation, bool accumulate)
    {
        _emitting.Clear();
        long pending = 0;
        foreach (FamilyState family in _inPlace)
        {
            if (family.ChangedIn != generation)
            {
                _emitting.Add(family);
                pending += family.PendingSlots.Count;
            }
        }

        int workers = Math.Min(Math.Min(Environment.ProcessorCount, _updaters.Length), _emitting.Count);
        if (workers < 2 || pending < parallelMinimumChanges)
        {
            foreach (FamilyState family in _emitting)
            {
                EmitInPlace(family, generation, accumulate, _changedSamples[0]);
            }
        }
        else
        {
            // Every family on one thread: its samples, edits and label groups are its own.
            MergePartition.OnWorkers(workers, w =>
            {
                for (int i = w; i < _emitting.Count; i += workers)
                {
                    EmitInPlace(_emitting[i], generation, accumulate, _changedSamples[w]);
                }
            });
        }

        foreach (FamilyState family in _inPlace)
        {
            family.PendingSlots.Clear();
        }

        _inPlace.Clear();
        return _emitting.Count;
    }

    /// <summary>True when <paramref name="family"/> was updated in place in <paramref name="generation"/> (not merged in full).</summary>
    public static bool UpdatedInPlace(FamilyState family, int generation) => family.InPlaceIn == generation && family.ChangedIn != generation;


    private static void EmitInPlace(FamilyState family, int generation, bool accumulate, List<int> changed)
    {
        List<Sample> samples = family.Output.SampleList;
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
            else if (slot.Group!.EmittedInPlaceIn != generation)
            {
                // The group's cumulative buckets and _count, once, as MergeRules.Emit adds them (a bucket is always in a group).
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
