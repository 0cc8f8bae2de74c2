namespace Chorus;

/// <summary>Options every metric type shares. Each type has its own subclass (<see cref="CounterConfiguration"/> ...).</summary>
public abstract class MetricConfiguration
{
    /// <summary>Label names; empty (the default) for a metric without labels.</summary>
    public IReadOnlyList<string> LabelNames { get; set; } = [];

    /// <summary>Prefix joined with <c>_</c>: <c>{namespace}_{subsystem}_{name}</c>.</summary>
    public string? Namespace { get; set; }

    /// <summary>Second prefix part: <c>{namespace}_{subsystem}_{name}</c>.</summary>
    public string? Subsystem { get; set; }

    /// <summary>A unit such as <c>seconds</c>, appended as <c>_{unit}</c> unless the name already ends with it.</summary>
    public string? Unit { get; set; }
}

/// <summary>Options of a <see cref="Counter"/>.</summary>
public sealed class CounterConfiguration : MetricConfiguration
{
}

/// <summary>Options of a <see cref="Gauge"/>.</summary>
public sealed class GaugeConfiguration : MetricConfiguration
{
    /// <summary>How values of many processes merge (ignored in memory). Default: <see cref="GaugeMode.All"/>, as prometheus_client.</summary>
    public GaugeMode Mode { get; set; } = GaugeMode.All;
}

/// <summary>Options of a <see cref="Histogram"/>.</summary>
public sealed class HistogramConfiguration : MetricConfiguration
{
    /// <summary>Upper bounds, ascending; <c>+Inf</c> is added when missing. Default: <see cref="Histogram.DefaultBuckets"/>.</summary>
    public IReadOnlyList<double>? Buckets { get; set; }
}

/// <summary>Options of a <see cref="Summary"/>.</summary>
public sealed class SummaryConfiguration : MetricConfiguration
{
}

/// <summary>Options of an <see cref="Info"/>.</summary>
public sealed class InfoConfiguration : MetricConfiguration
{
}

/// <summary>Options of an <see cref="EnumMetric"/>.</summary>
public sealed class EnumConfiguration : MetricConfiguration
{
    /// <summary>The states, in exposition order; the first is the initial state. Required.</summary>
    public IReadOnlyList<string> States { get; set; } = [];
}
