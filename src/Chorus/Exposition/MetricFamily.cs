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

    /// <summary>The samples in the order they are written.</summary>
    public IReadOnlyList<Sample> Samples => SampleList;

    /// <summary>The samples, for the readers and registries that fill the family.</summary>
    internal List<Sample> SampleList { get; } = [];

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
