namespace Chorus.Meters;

/// <summary>How a measurement changes its series' value.</summary>
internal enum MeasurementEffect
{
    /// <summary><c>Counter&lt;T&gt;.Add</c>: adds a non-negative increment (negative ones are dropped).</summary>
    Increment,

    /// <summary><c>UpDownCounter&lt;T&gt;.Add</c>: adds any amount.</summary>
    Add,

    /// <summary><c>Gauge&lt;T&gt;.Record</c> and observable gauges and up-down counters: the value as observed.</summary>
    Set,

    /// <summary><c>Histogram&lt;T&gt;.Record</c>.</summary>
    Observe,

    /// <summary><c>ObservableCounter&lt;T&gt;</c>: a cumulative total whose growth is added.</summary>
    ObservedCumulative,
}
