using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// One place in a family's output order: the slots of a label set (a <see cref="LabelGroup"/>), or the one slot of a
/// label set that has no other (a <see cref="SeriesSlot"/> standing alone).
/// </summary>
/// <remarks>
/// Most label sets of a big host have one sample (a gauge's, a counter's <c>_total</c>): a group object for each was
/// 13 MB of the GitLab-sized host's heap, 256,000 of them one series per writer. A slot that stands alone becomes a
/// group's first slot when its label set gets a second one (<see cref="FamilyState.GetSample(LabelSet, string)"/>).
/// </remarks>
internal abstract class OutputGroup
{
    /// <summary>The labels the place is sorted by.</summary>
    public abstract LabelSet Labels { get; }

    /// <summary>True when <see cref="Labels"/> is a set the place keeps, false when it is made on each call (<see cref="PidLabels"/>).</summary>
    public virtual bool KeepsLabelSet => true;

    /// <summary>How many labels <see cref="Labels"/> has (read without making the set, where a place keeps none: <see cref="PidLabels"/>).</summary>
    public virtual int LabelCount => Labels.Count;

    /// <summary>The name of label <paramref name="index"/> of <see cref="Labels"/> (sorted order).</summary>
    public virtual string LabelName(int index) => Labels.GetName(index);

    /// <summary>The value of label <paramref name="index"/> of <see cref="Labels"/> (sorted order).</summary>
    public virtual string LabelValue(int index) => Labels.GetValue(index);

    /// <summary>Orders <see cref="Labels"/> against <paramref name="other"/> as <see cref="LabelSet.CompareTo"/> does.</summary>
    public virtual int CompareLabels(LabelSet other) => Labels.CompareTo(other);

    /// <summary>The collection that last touched a slot of the place.</summary>
    public int Generation { get; set; }
}
