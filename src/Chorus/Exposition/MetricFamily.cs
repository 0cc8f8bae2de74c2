namespace Chorus.Exposition;

/// <summary>
/// A metric family as the exposition writers print it: name, type, HELP, optional unit and its samples in
/// output order. Both the multiprocess merge and the in-process registry produce these.
/// </summary>
/// <remarks>
/// The name follows prometheus_client's convention: a counter's family name has no <c>_total</c> suffix
/// (its samples do) and an info family's has no <c>_info</c>.
/// </remarks>
public sealed class MetricFamily
{
    /// <summary>Creates an empty family.</summary>
    /// <param name="name">Family name.</param>
    /// <param name="type">Metric type.</param>
    /// <param name="help">HELP text (may be empty).</param>
    /// <param name="unit">Unit, written as <c># UNIT</c> in OpenMetrics only; null for none.</param>
    internal MetricFamily(string name, MetricType type, string help, string? unit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(help);
        Name = name;
        Type = type;
        Help = help;
        Unit = unit;
    }

    /// <summary>The family name.</summary>
    public string Name { get; }

    /// <summary>The metric type.</summary>
    public MetricType Type { get; }

    /// <summary>The HELP text.</summary>
    public string Help { get; }

    /// <summary>The unit, or null.</summary>
    public string? Unit { get; }

    /// <summary>The samples in the order they are written, each with all its labels (a multiprocess gauge's pid included).</summary>
    public IReadOnlyList<Sample> Samples => SamplePids is null ? SampleList : SamplesWithPids();

    /// <summary>
    /// The samples, for the readers and registries that fill the family; a sample with a pid in <see cref="SamplePids"/>
    /// holds its labels without it.
    /// </summary>
    internal List<Sample> SampleList { get; } = [];

    /// <summary>
    /// Per sample (same index), the <c>pid</c> label the writers add to its labels (<see cref="PidLabels"/>: a multiprocess
    /// gauge's series of one writer), or null; null while no sample has one.
    /// </summary>
    internal List<string?>? SamplePids { get; private set; }

    /// <summary>Adds <paramref name="sample"/>, whose labels the writers write with <paramref name="pid"/> added when it is not null.</summary>
    internal void AddSample(Sample sample, string? pid)
    {
        if (pid is not null && SamplePids is null)
        {
            SamplePids = new List<string?>(SampleList.Capacity);
            for (int i = 0; i < SampleList.Count; i++)
            {
                SamplePids.Add(null);
            }
        }

        SampleList.Add(sample);
        SamplePids?.Add(pid);
    }

    /// <summary>Empties the samples and their pids (keeping the pids' list for the samples added next).</summary>
    internal void ClearSamples()
    {
        SampleList.Clear();
        SamplePids?.Clear();
    }

    /// <summary>Lets the pids' list go when no sample has a pid any more (a gauge family whose files changed mode).</summary>
    internal void DropPidsIfNone()
    {
        if (SamplePids is { } pids && pids.TrueForAll(static pid => pid is null))
        {
            SamplePids = null;
        }
    }

    /// <summary>The pid the writers add to sample <paramref name="index"/>'s labels, or null.</summary>
    internal string? PidAt(int index) => SamplePids?[index];

    /// <summary>Cuts the room of the pids' list as the samples' was cut.</summary>
    internal void TrimPids()
    {
        if (SamplePids is { } pids && pids.Capacity > SampleList.Capacity)
        {
            pids.Capacity = Math.Max(pids.Count, SampleList.Capacity);
        }
    }

    /// <summary>The samples with their pids in their labels, in a list of their own.</summary>
    private List<Sample> SamplesWithPids()
    {
        var samples = new List<Sample>(SampleList.Count);
        for (int i = 0; i < SampleList.Count; i++)
        {
            Sample sample = SampleList[i];
            samples.Add(PidAt(i) is { } pid ? sample with { Labels = new PidLabels(sample.Labels, pid).ToLabelSet() } : sample);
        }

        return samples;
    }

    /// <summary>Which values changed in the last merge, when nothing else did (a multiprocess merge fills it; others leave it invalid).</summary>
    internal SampleEdits Edits { get; } = new();

    /// <summary>The name text 0.0.4 puts in <c># HELP</c>/<c># TYPE</c> (<c>x_total</c> for counters, <c>x_info</c> for info), built once.</summary>
    internal string TextHeaderName => _textHeaderName ??= Type switch
    {
        MetricType.Counter => Name + "_total",
        MetricType.Info => Name + "_info",
        _ => Name,
    };

    private string? _textHeaderName;
}
