namespace Chorus.Exposition;

/// <summary>The type of a metric family, as OpenMetrics names them.</summary>
public enum MetricType
{
    /// <summary>Untyped (<c>untyped</c> in text 0.0.4, <c>unknown</c> in OpenMetrics).</summary>
    Unknown,

    /// <summary>A monotonic counter; samples are named <c>{family}_total</c>.</summary>
    Counter,

    /// <summary>A value that goes up and down.</summary>
    Gauge,

    /// <summary>Cumulative buckets (<c>_bucket</c> with <c>le</c>), <c>_count</c> and <c>_sum</c>.</summary>
    Histogram,

    /// <summary><c>_count</c> and <c>_sum</c>, optionally quantiles.</summary>
    Summary,

    /// <summary>Constant labels describing the target; written as a gauge named <c>{family}_info</c> in text 0.0.4.</summary>
    Info,

    /// <summary>A set of boolean states; written as a gauge in text 0.0.4.</summary>
    StateSet,

    /// <summary>A histogram of a value that can go down; written as a histogram in text 0.0.4.</summary>
    GaugeHistogram,
}
