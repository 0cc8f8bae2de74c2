using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>The samples of one family that share a label set (a histogram's buckets, <c>_count</c> and <c>_sum</c>).</summary>
internal sealed class LabelGroup(LabelSet labels)
{
    public LabelSet Labels { get; } = labels;

    /// <summary>Non-bucket samples, sorted by name.</summary>
    public List<SeriesSlot> Samples { get; } = [];

    /// <summary>Histogram buckets, sorted by bound.</summary>
    public List<SeriesSlot> Buckets { get; } = [];

    public int Generation { get; set; }
}
