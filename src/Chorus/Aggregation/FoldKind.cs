namespace Chorus.Aggregation;

/// <summary>How the values that meet in one output slot combine, in file order (prometheus_client's accumulate rules).</summary>
internal enum FoldKind
{
    /// <summary>Added up: counters, histograms, summaries, sum and livesum gauges.</summary>
    Sum,

    /// <summary>The first value, replaced by any strictly smaller one (a NaN first value stays).</summary>
    Min,

    /// <summary>The first value, replaced by any strictly greater one (a NaN first value stays).</summary>
    Max,

    /// <summary>The value with the strictly greatest timestamp above 0; none when no timestamp is.</summary>
    MostRecent,

    /// <summary>The last value (all and liveall gauges: one slot per file).</summary>
    Last,
}
