namespace Chorus;

/// <summary>The exposition type of a metric family.</summary>
internal enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
    Summary,
    Info,
    StateSet,
}
