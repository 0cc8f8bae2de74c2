using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>One merged family: its type (from the first file it was seen in), HELP (from the first key), gauge mode and label groups.</summary>
internal sealed class FamilyState
{
    // The places (groups, and slots standing alone) in output order, then those added since they were last sorted; only
    // the latter are in _added, with their index in _ordered (the others are found by binary search), so a family holds no
    // dictionary of its places once its order is known: one entry per group was 9 MiB of a GitLab-sized host's heap
    // (docs/benchmarks.md).
    private readonly List<OutputGroup> _ordered = [];
    private Dictionary<OutputGroup, int> _added = new(PlaceLabels.Instance);
    private int _sortedCount;
    private bool _orderDirty;
    private List<SeriesSlot>? _pending;
    private ListedFiles? _listedFiles;
    private readonly SampleNames _sampleNames = new();

    // A dictionary of added groups at most this big is cleared for the next ones; a bigger one (a cold pass adds every
    // group) is let go.
    private const int AddedKeptCapacity = 64;

    public FamilyState(string name, MetricType type, string help)
    {
        Name = name;
        Type = type;
        Output = new MetricFamily(name, type, help);
        BucketName = name + "_bucket";
        CountName = name + "_count";
    }

    public string Name { get; }

    public MetricType Type { get; }

    public string BucketName { get; }

    public string CountName { get; }

    /// <summary>The gauge mode of the last gauge file read that holds this family (prometheus_client: last wins).</summary>
    public GaugeMode Mode { get; set; }

    public int Generation { get; set; }

    /// <summary>The collection that last gave this family the mode of its last gauge file.</summary>
    public int ModeSetIn { get; set; }

    /// <summary>
    /// The last collection in which any entry of this family changed (a value, an entry added or gone, a file
    /// replaced, its mode). A collection merges only such families again and reuses the others' samples.
    /// Written by refresh threads too: they only ever store the current collection's number.
    /// </summary>
    public int ChangedIn { get; set; }

    /// <summary>True when the last merge of this family produced output (its <see cref="Output"/> is current).</summary>
    public bool Emitted { get; set; }

    /// <summary>The collection that last merged this family (its <see cref="Output"/> is from then).</summary>
    public int MergedIn { get; set; }

    /// <summary>The slots the frozen files contribute to, each with its <see cref="SeriesSlot.Frozen"/> part.</summary>
    public List<SeriesSlot> FrozenSlots { get; } = [];

    /// <summary>
    /// Set when the frozen parts no longer say what the frozen files hold (not built yet, a file's contribution they could
    /// not take or give back in place, every file thawed at once, files excluded): they are built again when next merged.
    /// </summary>
    public bool FrozenStale { get; set; } = true;

    /// <summary>The fold kind the frozen parts were built for (a gauge mode change makes them stale).</summary>
    public FoldKind FrozenKind { get; set; }

    /// <summary>
    /// Set once a live value broke an exact leading run of a frozen sum (<see cref="FrozenSlotPart"/>): the parts are
    /// built again keeping every frozen value of a sum, so later collections can fold in file order without the files.
    /// </summary>
    public bool KeepsEveryFrozenSum { get; set; }

    /// <summary>The collection that last built this family's frozen parts.</summary>
    public int RebuiltIn { get; set; }

    /// <summary>The collection that last folded this family over every file in file order, without its frozen parts.</summary>
    public int FoldedInOrderIn { get; set; }

    /// <summary>The thread that folds this family in a merge split among threads (<see cref="MergePartition"/>).</summary>
    public int MergeWorker { get; set; }

    /// <summary>The entries this family is estimated to fold in the collection <see cref="MergeWeightIn"/>.</summary>
    public long MergeWeight { get; set; }

    /// <summary>The collection <see cref="MergeWeight"/> was estimated for.</summary>
    public int MergeWeightIn { get; set; }

    /// <summary>The collection whose per-slot update saw this family in a changed file (<see cref="SlotShares"/>).</summary>
    public int SlotShareIn { get; set; } = -1;

    /// <summary>The first changed file seen holding this family in <see cref="SlotShareIn"/> (its index there).</summary>
    public int SlotShareFile { get; set; }

    /// <summary>
    /// While a merge is split: another family this one shares a file with (a union-find link; null at the root of the
    /// family's <see cref="MergePartition"/> group, whose weight and worker the group's families take).
    /// </summary>
    public FamilyState? MergeLink { get; set; }

    /// <summary>
    /// True while the slots' per-slot state (<see cref="SeriesSlot.Folds"/>, <see cref="SeriesSlot.Contributions"/>, sample
    /// indices) says what the last full merge folded: set by a full merge, cleared when a file holding the family froze or
    /// thawed (its contributions moved between the frozen parts and the live files).
    /// </summary>
    public bool SlotsReady { get; set; }

    /// <summary>Set once a changed sum slot lacked its <see cref="SeriesSlot.Contributions"/>: full merges then keep them for every sum slot.</summary>
    public bool TracksSums { get; set; }

    /// <summary>
    /// The files the full merge of collection <paramref name="generation"/> folded for this family so far (made by its first
    /// call in that collection), which its slots' listed contributions share (<see cref="ListedFiles"/>).
    /// </summary>
    public ListedFiles ListedFilesFor(int generation) =>
        _listedFiles is { } listed && listed.Generation == generation ? listed : _listedFiles = new ListedFiles(generation);

    /// <summary>The collection that last updated this family per changed slot (<see cref="ChangedSlots"/>).</summary>
    public int InPlaceIn { get; set; }

    /// <summary>The slots updated per changed slot in <see cref="InPlaceIn"/> (repeats allowed).</summary>
    public List<SeriesSlot> PendingSlots => _pending ??= [];

    /// <summary><see cref="Output"/> as exposition bytes, formatted again only after a merge.</summary>
    public RenderedFamily Rendered { get; } = new();

    /// <summary>The family handed to the exposition writer; its samples are rebuilt by every collection.</summary>
    public MetricFamily Output { get; }

    /// <summary>The places in output order: groups of slots, and slots standing alone (<see cref="OutputGroup"/>).</summary>
    public List<OutputGroup> OrderedGroups
    {
        get
        {
            if (_orderDirty)
            {
                GroupOrder.Sort(_ordered);
                _orderDirty = false;
                _sortedCount = _ordered.Count;
                _added = _added.Count > AddedKeptCapacity ? new(PlaceLabels.Instance) : _added;
                _added.Clear();
            }

            return _ordered;
        }
    }

    /// <summary>How many groups wait for their place in output order, the only ones a dictionary holds (for tests).</summary>
    internal int GroupsAwaitingOrder => _added.Count;

    /// <summary>The name of <paramref name="slot"/>'s sample.</summary>
    public string SampleNameOf(SeriesSlot slot) => _sampleNames[slot.NameIndex];

    /// <summary>The slot of <paramref name="sampleName"/> for <paramref name="labels"/>, made (alone, or in the label set's group) on first use.</summary>
    public SeriesSlot GetSample(LabelSet labels, string sampleName)
    {
        int name = _sampleNames.NumberOf(sampleName);
        OutputGroup? place = Find(labels, out int index);
        if (place is null)
        {
            var alone = new SeriesSlot(labels, name);
            Add(alone);
            return alone;
        }

        return SampleIn(place, index, name, sampleName);
    }

    /// <summary>
    /// As <see cref="GetSample(LabelSet, string)"/> for <paramref name="keyLabels"/> with <paramref name="pid"/> added, a
    /// gauge file's series: a slot made alone keeps the two instead of a set of both when it can (<see cref="PidLabels"/>),
    /// and the lookup makes no set.
    /// </summary>
    public SeriesSlot GetPidSample(LabelSet keyLabels, string pid, string sampleName)
    {
        int name = _sampleNames.NumberOf(sampleName);
        var labels = new PidLabels(keyLabels, pid);
        int index = FindSorted(null, labels);
        if (index < 0 && !_added.GetAlternateLookup<PidLabels>().TryGetValue(labels, out index))
        {
            var alone = new SeriesSlot(keyLabels, pid, name);
            Add(alone);
            return alone;
        }

        return SampleIn(_ordered[index], index, name, sampleName);
    }

    /// <summary>The slot named <paramref name="name"/> of <paramref name="place"/> (at <paramref name="index"/>), made in its group on first use.</summary>
    private SeriesSlot SampleIn(OutputGroup place, int index, int name, string sampleName)
    {
        if (place is SeriesSlot slotAlone)
        {
            if (slotAlone.NameIndex == name)
            {
                return slotAlone;
            }

            place = GroupOf(slotAlone, index);
        }

        var group = (LabelGroup)place;
        ref SlotRun samples = ref group.Samples;
        int i = 0;
        for (; i < samples.Count; i++)
        {
            int c = string.CompareOrdinal(_sampleNames[samples[i].NameIndex], sampleName);
            if (c == 0)
            {
                return samples[i];
            }

            if (c > 0)
            {
                break;
            }
        }

        var slot = new SeriesSlot(group, name);
        samples.Insert(i, slot);
        return slot;
    }

    /// <summary>The bucket slot of <paramref name="bound"/> for <paramref name="baseLabels"/>, made in the label set's group on first use.</summary>
    public SeriesSlot GetBucket(LabelSet baseLabels, double bound)
    {
        LabelGroup group = Find(baseLabels, out int index) switch
        {
            null => AddGroup(baseLabels),
            SeriesSlot alone => GroupOf(alone, index),
            OutputGroup place => (LabelGroup)place,
        };

        ref SlotRun buckets = ref group.Buckets;
        int i = 0;
        for (; i < buckets.Count; i++)
        {
            int c = buckets[i].Bound.CompareTo(bound);
            if (c == 0)
            {
                return buckets[i];
            }

            if (c > 0)
            {
                break;
            }
        }

        var slot = new BucketSlot(group, _sampleNames.NumberOf(BucketName), baseLabels.With("le", GoFloat.ToString(bound)), bound);
        buckets.Insert(i, slot);
        return slot;
    }

    /// <summary>Number of slots (samples and buckets) held, for tests of bounded memory.</summary>
    public int SlotCount => _ordered.Sum(static place => place is LabelGroup group ? group.Samples.Count + group.Buckets.Count : 1);

    /// <summary>Drops slots and label groups the collection <paramref name="generation"/> did not touch.</summary>
    public void Prune(int generation)
    {
        bool removed = false;
        for (int g = _ordered.Count - 1; g >= 0; g--)
        {
            OutputGroup place = _ordered[g];
            if (!Prune(place, generation))
            {
                continue;
            }

            if (g < _sortedCount)
            {
                _sortedCount--;
            }
            else
            {
                _added.Remove(place);
            }

            _ordered.RemoveAt(g);
            removed = true;
        }

        if (removed)
        {
            // The places added since the last sort moved up.
            for (int i = _sortedCount; i < _ordered.Count; i++)
            {
                _added[_ordered[i]] = i;
            }
        }
    }

    /// <summary>Drops what of <paramref name="place"/> the collection did not touch; true when nothing of it is left.</summary>
    private static bool Prune(OutputGroup place, int generation)
    {
        if (place is LabelGroup group)
        {
            PruneSlots(ref group.Samples, generation);
            PruneSlots(ref group.Buckets, generation);
            return group.Samples.Count == 0 && group.Buckets.Count == 0;
        }

        if (place.Generation == generation)
        {
            return false;
        }

        ((SeriesSlot)place).Removed = true;
        return true;
    }

    private static void PruneSlots(ref SlotRun slots, int generation)
    {
        for (int i = slots.Count - 1; i >= 0; i--)
        {
            if (slots[i].Generation != generation)
            {
                slots[i].Removed = true;
                slots.RemoveAt(i);
            }
        }
    }

    /// <summary>The place of <paramref name="labels"/>, and its index in <see cref="_ordered"/>; null when there is none.</summary>
    private OutputGroup? Find(LabelSet labels, out int index)
    {
        index = FindSorted(labels, default);
        return index >= 0 || _added.GetAlternateLookup<LabelSet>().TryGetValue(labels, out index) ? _ordered[index] : null;
    }

    private void Add(OutputGroup place)
    {
        _added.Add(place, _ordered.Count);
        _ordered.Add(place);
        _orderDirty = true;
    }

    private LabelGroup AddGroup(LabelSet labels)
    {
        var group = new LabelGroup(labels);
        Add(group);
        return group;
    }

    /// <summary>Puts a group in the place of <paramref name="alone"/> (at <paramref name="index"/>), with it as its first slot.</summary>
    private LabelGroup GroupOf(SeriesSlot alone, int index)
    {
        var group = new LabelGroup(alone.Labels) { Generation = alone.Generation };
        group.Samples.Insert(0, alone);
        alone.Join(group);
        _ordered[index] = group;
        return group;
    }

    /// <summary>
    /// The index of the place of <paramref name="labels"/> (of <paramref name="withPid"/> when null) among those in output
    /// order (by <see cref="LabelSet.CompareTo"/>, the order <see cref="GroupOrder"/> sorts in); -1 when none.
    /// </summary>
    private int FindSorted(LabelSet? labels, in PidLabels withPid)
    {
        int low = 0;
        int high = _sortedCount - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) >> 1);
            int c = labels is not null ? _ordered[middle].CompareLabels(labels) : PlaceLabels.Compare(_ordered[middle], withPid);
            if (c == 0)
            {
                return middle;
            }

            if (c < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }
}
