namespace Chorus.AspNetCore.HttpMetrics;

/// <summary>Settings of the request metrics recorded by <c>UseChorusHttpMetrics()</c>.</summary>
public sealed class ChorusHttpMetricsOptions
{
    /// <summary>
    /// The registry the metrics are created in. Default: the <see cref="MetricRegistry"/> registered in the
    /// application's services, else <see cref="Metrics.DefaultRegistry"/> (multiprocess when
    /// <c>PROMETHEUS_MULTIPROC_DIR</c> is set).
    /// </summary>
    public MetricRegistry? Registry { get; set; }

    /// <summary>Histogram bucket bounds for request durations, in seconds. Default: <see cref="Histogram.DefaultBuckets"/>.</summary>
    public IReadOnlyList<double>? DurationBuckets { get; set; }
}
