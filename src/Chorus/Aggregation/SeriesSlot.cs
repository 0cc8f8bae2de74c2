using System.Runtime.CompilerServices;
using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// The merged value of one output sample (or one histogram bucket before accumulation, a <see cref="BucketSlot"/>). Lives
/// across collections; <see cref="OutputGroup.Generation"/> tells whether the current collection touched it.
/// </summary>
/// <remarks>
/// A sample's labels are its group's, so only a bucket keeps labels (with <c>le</c>) and a bound of its own: both fields
/// in every slot were 4 MiB of a GitLab-sized host's heap, whose 296,000 slots are mostly one series per writer. A slot
/// whose label set has no other slot stands alone in its family's output order, in its group's place
/// (<see cref="OutputGroup"/>), keeping its labels where a grouped slot keeps its group. A gauge's series of one writer
/// (a mode that keeps each process's series) keeps its key's labels and its file's pid instead of a set of both
/// (<see cref="PidLabels"/>).
/// </remarks>
internal class SeriesSlot : OutputGroup
{
    // The slot's group, or its labels while it stands alone.
    private object _groupOrLabels;

    private const int HasValueFlag = 1 << 30;
    private const int RemovedFlag = 1 << 31;
    private const int NameMask = HasValueFlag - 1;

    // The name's number (NameIndex) and the two flags in one field: with two bools of their own the fields took 42 bytes,
    // 64 a slot with the object's header, against 56 at 40 bytes.
    private int _nameAndFlags;

    // Null, the pid added to the labels of a slot standing alone (a string), a FrozenSlotPart, a SlotContributions, or a
    // SlotExtras when the slot needs more than one of them or a timestamp: a field for each was 16 bytes of every slot
    // (4.4 MB of the GitLab-sized host's 272,400), and most slots need none or the pid alone (an all gauge's series, a
    // counter summed from live files).
    private object? _extra;

    /// <summary>A slot of <paramref name="group"/>, for its family's sample name number <paramref name="name"/>.</summary>
    public SeriesSlot(LabelGroup group, int name)
    {
        _groupOrLabels = group;
        _nameAndFlags = name;
    }

    /// <summary>A slot that stands alone in its family's output order, for <paramref name="labels"/>.</summary>
    public SeriesSlot(LabelSet labels, int name)
    {
        _groupOrLabels = labels;
        _nameAndFlags = name;
    }

    /// <summary>
    /// A slot that stands alone in its family's output order, for <paramref name="labels"/> with <paramref name="pid"/>
    /// added (<see cref="PidLabels.Applies"/> to <paramref name="labels"/>).
    /// </summary>
    public SeriesSlot(LabelSet labels, string pid, int name)
        : this(labels, name)
    {
        _extra = pid;
    }

    /// <summary>The group the slot belongs to; null while it stands alone.</summary>
    public LabelGroup? Group => _groupOrLabels as LabelGroup;

    /// <summary>
    /// The sample's name as its family numbers them (<see cref="SampleNames"/>, <see cref="FamilyState.SampleNameOf"/>): a reference to the name was
    /// 8 bytes of every slot, 2.2 MB of the GitLab-sized host's 272,400.
    /// </summary>
    public int NameIndex => _nameAndFlags & NameMask;

    /// <summary>Labels as printed (a bucket's include <c>le</c>); made anew on each call for a slot with a <see cref="Pid"/>.</summary>
    public override LabelSet Labels => this is BucketSlot bucket
        ? bucket.BucketLabels
        : _groupOrLabels is LabelSet labels
            ? (Pid is { } pid ? new PidLabels(labels, pid).ToLabelSet() : labels)
            : Unsafe.As<LabelGroup>(_groupOrLabels).Labels;

    /// <summary>The pid added to the labels of this slot, which stands alone; null for every other slot.</summary>
    public string? Pid => _extra as string ?? (_extra as SlotExtras)?.Pid;

    /// <inheritdoc/>
    public override bool KeepsLabelSet => Pid is null;

    /// <inheritdoc/>
    public override int LabelCount => WithPid(out PidLabels labels) ? labels.Count : base.LabelCount;

    /// <inheritdoc/>
    public override string LabelName(int index) => WithPid(out PidLabels labels) ? labels.GetName(index) : base.LabelName(index);

    /// <inheritdoc/>
    public override string LabelValue(int index) => WithPid(out PidLabels labels) ? labels.GetValue(index) : base.LabelValue(index);

    /// <inheritdoc/>
    public override int CompareLabels(LabelSet other) => WithPid(out PidLabels labels) ? labels.CompareTo(other) : base.CompareLabels(other);

    /// <summary>
    /// The labels the slot's sample is emitted with, and the pid the writers add to them (<see cref="MetricFamily.SamplePids"/>;
    /// null for none): <see cref="Labels"/> without making a set.
    /// </summary>
    public LabelSet EmittedLabels(out string? pid)
    {
        if (_groupOrLabels is LabelSet labels && Pid is { } own)
        {
            pid = own;
            return labels;
        }

        pid = null;
        return Labels;
    }

    /// <summary>The bucket's upper bound; NaN for other samples.</summary>
    public double Bound => this is BucketSlot bucket ? bucket.UpperBound : double.NaN;

    public double Value { get; set; }

    /// <summary>The timestamp of the value a mostrecent fold kept; 0 for every other slot.</summary>
    public double Timestamp
    {
        get => _extra is SlotExtras extras ? extras.Timestamp : 0.0;
        set
        {
            if (_extra is SlotExtras extras)
            {
                extras.Timestamp = value;
            }
            else if (value != 0.0)
            {
                Extras().Timestamp = value;
            }
        }
    }

    /// <summary>False until a value was merged in this collection (a never-set mostrecent gauge stays false).</summary>
    public bool HasValue
    {
        get => (_nameAndFlags & HasValueFlag) != 0;
        set => _nameAndFlags = value ? _nameAndFlags | HasValueFlag : _nameAndFlags & ~HasValueFlag;
    }

    /// <summary>Set when pruned from its family; targets still caching the slot resolve a fresh one.</summary>
    public bool Removed
    {
        get => (_nameAndFlags & RemovedFlag) != 0;
        set => _nameAndFlags = value ? _nameAndFlags | RemovedFlag : _nameAndFlags & ~RemovedFlag;
    }

    /// <summary>What the frozen files contribute to this slot (<see cref="FrozenPartials"/>); null when nothing or not built.</summary>
    public FrozenSlotPart? Frozen
    {
        get => _extra as FrozenSlotPart ?? (_extra as SlotExtras)?.Frozen;
        set
        {
            if (_extra is SlotExtras extras)
            {
                extras.Frozen = value;
            }
            else if (_extra is null or FrozenSlotPart)
            {
                _extra = value;
            }
            else if (value is not null)
            {
                Extras().Frozen = value;
            }
        }
    }

    /// <summary>How many live entries the last full merge of the family folded into this slot (frozen ones: <see cref="Frozen"/>).</summary>
    public int Folds { get; set; }

    /// <summary>The index of this slot's sample in its family's samples as last emitted in full (a bucket's: before <c>_count</c>).</summary>
    public int SampleIndex { get; set; }

    /// <summary>What the last full merge folded into this slot, when a merge per changed slot needs it; null otherwise.</summary>
    public SlotContributions? Contributions
    {
        get => _extra as SlotContributions ?? (_extra as SlotExtras)?.Contributions;
        set
        {
            if (_extra is SlotExtras extras)
            {
                extras.Contributions = value;
            }
            else if (_extra is null or SlotContributions)
            {
                _extra = value;
            }
            else if (value is not null)
            {
                Extras().Contributions = value;
            }
        }
    }

    /// <summary>Empties a slot this collection touched, to fold it again from the start.</summary>
    public void Restart()
    {
        Value = 0.0;
        HasValue = false;
        Folds = 0;
        if (_extra is not null)
        {
            RestartExtra();
        }
    }

    /// <summary>Makes this slot, which stood alone, a slot of <paramref name="group"/> (whose labels include its pid, if it had one).</summary>
    public void Join(LabelGroup group)
    {
        _groupOrLabels = group;
        if (_extra is string)
        {
            _extra = null;
        }
        else if (_extra is SlotExtras extras)
        {
            extras.Pid = null;
        }
    }

    /// <summary>Starts the slot afresh the first time a collection touches it (and its group).</summary>
    public void Touch(int generation)
    {
        if (Generation != generation)
        {
            Generation = generation;
            Value = 0.0;
            HasValue = false;
            Folds = 0;
            if (_extra is not null)
            {
                RestartExtra();
            }

            if (Group is { } group)
            {
                group.Generation = generation;
            }
        }
    }

    /// <summary>True, with the slot's labels and pid, when it keeps a pid.</summary>
    private bool WithPid(out PidLabels labels)
    {
        if (_groupOrLabels is LabelSet own && Pid is { } pid)
        {
            labels = new PidLabels(own, pid);
            return true;
        }

        labels = default;
        return false;
    }

    private void RestartExtra()
    {
        if (_extra is SlotExtras extras)
        {
            extras.Timestamp = 0.0;
            extras.Contributions?.Restart();
        }
        else
        {
            (_extra as SlotContributions)?.Restart();
        }
    }

    /// <summary>The slot's <see cref="SlotExtras"/>, made from what <see cref="_extra"/> held alone.</summary>
    private SlotExtras Extras()
    {
        if (_extra is SlotExtras extras)
        {
            return extras;
        }

        extras = new SlotExtras { Frozen = _extra as FrozenSlotPart, Contributions = _extra as SlotContributions, Pid = _extra as string };
        _extra = extras;
        return extras;
    }

    /// <summary>What a slot holds beyond its value when it needs more than one of them.</summary>
    private sealed class SlotExtras
    {
        public double Timestamp { get; set; }

        public FrozenSlotPart? Frozen { get; set; }

        public SlotContributions? Contributions { get; set; }

        public string? Pid { get; set; }
    }
}

/// <summary>A histogram bucket's slot: its labels with <c>le</c>, and its upper bound.</summary>
internal sealed class BucketSlot(LabelGroup group, int name, LabelSet labels, double bound) : SeriesSlot(group, name)
{
    /// <summary>The group's labels and <c>le</c>.</summary>
    public LabelSet BucketLabels { get; } = labels;

    /// <summary>The upper bound <c>le</c> names.</summary>
    public double UpperBound { get; } = bound;
}
