namespace Chorus;

/// <summary>
/// How one instrument (or every instrument whose name matches a pattern) is exported: renamed, dropped,
/// with other buckets, with fewer labels, or with another multiprocess merge. Add it with
/// <see cref="MeterOptions.AddView"/>; properties left null keep the default mapping.
/// </summary>
public sealed class MeterView
{
    /// <summary>
    /// A name used instead of the instrument's name, before the mapping: it is sanitised and gets the unit and
    /// <c>_total</c> suffixes like any instrument name (<c>"app.requests"</c> → <c>app_requests_total</c>).
    /// </summary>
    public string? Name { get; set; }

    /// <summary>True to record nothing for the instrument.</summary>
    public bool Drop { get; set; }

    /// <summary>Histogram upper bounds, ascending; they replace the instrument's advice and the default.</summary>
    public IReadOnlyList<double>? Buckets { get; set; }

    /// <summary>
    /// The tag keys kept as labels, by their original names (<c>"http.route"</c>); other tags are dropped and
    /// their series merged. Null keeps every tag.
    /// </summary>
    public IReadOnlyList<string>? TagKeys { get; set; }

    /// <summary>
    /// How values of many processes merge for an instrument exported as a gauge (up-down counters and gauges);
    /// ignored for counters and histograms and in memory. Defaults: <see cref="GaugeMode.LiveSum"/> for up-down
    /// counters, <see cref="GaugeMode.LiveAll"/> for gauges.
    /// </summary>
    public GaugeMode? Mode { get; set; }
}
