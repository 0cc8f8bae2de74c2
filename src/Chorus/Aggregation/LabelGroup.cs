using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>The samples of one family that share a label set (a histogram's buckets, <c>_count</c> and <c>_sum</c>).</summary>
internal sealed class LabelGroup(LabelSet labels) : OutputGroup
{
    private SlotRun _samples;
    private SlotRun _buckets;

    /// <inheritdoc/>
    public override LabelSet Labels { get; } = labels;

    /// <summary>Non-bucket samples, sorted by name.</summary>
    public ref SlotRun Samples => ref _samples;

    /// <summary>Histogram buckets, sorted by bound.</summary>
    public ref SlotRun Buckets => ref _buckets;

    /// <summary>The collection that last emitted this group's cumulative buckets in place (<see cref="ChangedSlots"/>).</summary>
    public int EmittedInPlaceIn { get; set; }
}
