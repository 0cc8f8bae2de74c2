using Chorus.Exposition;
using Chorus.Files;
using Chorus.Storage;

namespace Chorus;

/// <summary>What every metric has: a family name, HELP text and label names.</summary>
public abstract class Collector
{
    private protected Collector(MetricRegistry registry, string name, string help, string[] labelNames)
    {
        Registry = registry;
        Name = name;
        Help = help ?? throw new ArgumentNullException(nameof(help));
        LabelNameArray = labelNames;
    }

    /// <summary>The family name (with namespace, subsystem and unit; a counter's without <c>_total</c>).</summary>
    public string Name { get; }

    /// <summary>The HELP text.</summary>
    public string Help { get; }

    /// <summary>The label names, in the order <c>WithLabels</c> expects values.</summary>
    public IReadOnlyList<string> LabelNames => LabelNameArray;

    internal string[] LabelNameArray { get; }

    internal MetricRegistry Registry { get; }

    internal abstract MetricType Type { get; }

    /// <summary>Appends the current samples of every child (in-process exposition).</summary>
    internal abstract void Collect(List<CollectedSample> samples);

    private protected SeriesKey KeyFor(DbFileKind kind, GaugeMode mode, string sample, string[] labelValues) =>
        new(kind, mode, Name, sample, LabelNameArray, labelValues, Help);

    private protected SeriesKey KeyFor(DbFileKind kind, GaugeMode mode, string sample, string[] labelValues, string extraName, string extraValue) =>
        new(kind, mode, Name, sample, [.. LabelNameArray, extraName], [.. labelValues, extraValue], Help);
}
