using Chorus.Meters;

namespace Chorus;

/// <summary>
/// Which <see cref="System.Diagnostics.Metrics.Meter"/>s a registry records, and how their instruments are
/// exported. Nothing is recorded by default: name each meter (or a pattern such as <c>System.Net.*</c>).
/// </summary>
/// <remarks>
/// Mapping (OpenTelemetry's Prometheus compatibility rules): <c>Counter</c> and <c>ObservableCounter</c> →
/// counter (<c>_total</c>); <c>UpDownCounter</c>, <c>ObservableUpDownCounter</c>, <c>Gauge</c> and
/// <c>ObservableGauge</c> → gauge; <c>Histogram</c> → histogram with the instrument's advised bucket bounds,
/// else <see cref="DefaultBuckets"/>. Names are sanitised and get a unit suffix (<c>s</c> → <c>_seconds</c>,
/// <c>By</c> → <c>_bytes</c>, ...); tags become labels. In multiprocess mode counters and histograms sum over
/// every process that ever wrote them, up-down counters over live processes (<c>livesum</c>) and gauges are
/// shown per live process (<c>liveall</c>, label <c>pid</c>); a <see cref="MeterView"/> changes that per instrument.
/// </remarks>
public sealed class MeterOptions
{
    /// <summary>
    /// Bounds for histograms without advice or view: OpenTelemetry's default explicit bounds, so dashboards built
    /// on the OpenTelemetry SDK see the same <c>le</c> values.
    /// </summary>
    public static readonly IReadOnlyList<double> DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly List<string> _meters = [];
    private readonly List<KeyValuePair<string, MeterView>> _views = [];
    private TimeSpan _observableInterval = TimeSpan.FromSeconds(5);

    /// <summary>The meter names and patterns added so far.</summary>
    public IReadOnlyList<string> MeterNames => _meters;

    /// <summary>
    /// How often observable instruments are read in multiprocess mode, so that other processes serving the merged
    /// view see fresh values (a registry's own scrape reads them too). Default: 5 seconds.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 100 ms.</exception>
    public TimeSpan ObservableInterval
    {
        get => _observableInterval;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.FromMilliseconds(100));
            _observableInterval = value;
        }
    }

    /// <summary>Records the meters with these names; <c>*</c> matches any run of characters (<c>"System.Net.*"</c>).</summary>
    /// <param name="names">Meter names or patterns, compared case-insensitively.</param>
    /// <returns>These options.</returns>
    public MeterOptions AddMeter(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (string name in names)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(names));
            _meters.Add(name);
        }

        return this;
    }

    /// <summary>Changes how the instruments named <paramref name="instrumentName"/> are exported; the first matching view wins.</summary>
    /// <param name="instrumentName">The instrument name (<c>"http.server.request.duration"</c>), or a pattern with <c>*</c>.</param>
    /// <param name="view">What to change.</param>
    /// <returns>These options.</returns>
    public MeterOptions AddView(string instrumentName, MeterView view)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instrumentName);
        ArgumentNullException.ThrowIfNull(view);
        if (view.Name is not null && string.IsNullOrWhiteSpace(view.Name))
        {
            throw new ArgumentException("A view's Name must not be blank.", nameof(view));
        }

        _views.Add(new KeyValuePair<string, MeterView>(instrumentName, view));
        return this;
    }

    internal bool IsEmpty => _meters.Count == 0;

    internal bool IsMeterEnabled(string meterName)
    {
        foreach (string pattern in _meters)
        {
            if (NamePattern.Matches(pattern, meterName))
            {
                return true;
            }
        }

        return false;
    }

    internal MeterView? ViewFor(string instrumentName)
    {
        foreach (KeyValuePair<string, MeterView> view in _views)
        {
            if (NamePattern.Matches(view.Key, instrumentName))
            {
                return view.Value;
            }
        }

        return null;
    }

    /// <summary>A copy, so later changes to these options do not reach a running listener.</summary>
    internal MeterOptions Snapshot()
    {
        var copy = new MeterOptions { _observableInterval = _observableInterval };
        copy._meters.AddRange(_meters);
        foreach (KeyValuePair<string, MeterView> view in _views)
        {
            MeterView v = view.Value;
            copy._views.Add(new(view.Key, new MeterView { Name = v.Name, Drop = v.Drop, Buckets = v.Buckets?.ToArray(), TagKeys = v.TagKeys?.ToArray(), Mode = v.Mode }));
        }
        return copy;
    }
}
