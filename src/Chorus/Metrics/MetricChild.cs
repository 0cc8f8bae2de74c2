using Chorus.Storage;

namespace Chorus;

/// <summary>The series of one label-value combination of a metric; get it from <c>WithLabels</c>.</summary>
/// <remarks>Children are thread-safe. A child removed from its metric keeps working but is no longer exported.</remarks>
public abstract class MetricChild
{
    private protected MetricChild(string[] labelValues, SeriesKey[] keys)
    {
        LabelValueArray = labelValues;
        Keys = keys;
    }

    /// <summary>The label values of this child, in the metric's label-name order.</summary>
    public IReadOnlyList<string> LabelValues => LabelValueArray;

    internal string[] LabelValueArray { get; }

    internal SeriesKey[] Keys { get; }

    /// <summary>
    /// Detaches the child from its metric (called under the metric's lock) and returns the keys whose series the
    /// store releases. A child whose keys change over its life (<see cref="Info"/>) returns its current ones.
    /// </summary>
    internal virtual SeriesKey[] Detach() => Keys;
}
