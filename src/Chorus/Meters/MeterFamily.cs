using System.Collections.Concurrent;
using Chorus.Exposition;
using Chorus.Files;
using Chorus.Storage;

namespace Chorus.Meters;

/// <summary>
/// The Prometheus family of one or more bridged instruments (instruments of the same name from several
/// <c>Meter</c> instances share it), living in a registry next to the registry's own metrics.
/// </summary>
/// <remarks>
/// Unlike <see cref="Collector{TChild}"/>, label names are per series: a measurement's tags decide them, as in
/// OpenTelemetry (ASP.NET Core adds <c>error.type</c> only to failed requests). A measurement finds its series
/// through the tags exactly as given, without allocating; only a tag set never seen before takes a lock.
/// </remarks>
internal sealed unsafe class MeterFamily : Collector
{
    // Tag sets kept as given (orders, key instances) per family; beyond it, new ones take the slow path each
    // time instead of growing memory without bound.
    private const int MaxTagKeys = 16_384;

    [ThreadStatic]
    private static KeyValuePair<string, object?>[]? t_filtered;

    private readonly ConcurrentDictionary<TagKey, MeterSeries> _byTags = new(TagKeyComparer.Instance);
    private readonly ConcurrentDictionary<TagKey, MeterSeries>.AlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>> _lookup;
    private readonly Dictionary<string, MeterSeries> _series = new(StringComparer.Ordinal);
    private readonly Lock _createLock = new();
    private readonly MetricType _kind;
    private readonly string[]? _tagKeys;
    private readonly string[] _boundLabels;
    private int _instruments;
    private int _tagKeyCount;

    public MeterFamily(MetricRegistry registry, string name, string help, MetricType kind, GaugeMode mode, double[]? bounds, string[]? tagKeys)
        : base(registry, name, help, [])
    {
        _lookup = _byTags.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>>();
        _kind = kind;
        Mode = mode;
        Bounds = bounds;
        _tagKeys = tagKeys;
        _boundLabels = bounds is null ? [] : Array.ConvertAll(bounds, GoFloat.ToString);
    }

    /// <summary>How a gauge family merges across processes (counters and histograms: <see cref="GaugeMode.All"/>, unused).</summary>
    public GaugeMode Mode { get; }

    /// <summary>A histogram's upper bounds, ending with +Inf; null for other kinds.</summary>
    public double[]? Bounds { get; }

    internal override MetricType Type => _kind;

    /// <summary>True when another instrument may share this family: same type, merge mode and buckets.</summary>
    public bool SameShape(MetricType kind, GaugeMode mode, double[]? bounds) =>
        kind == _kind && mode == Mode && (bounds is null ? Bounds is null : Bounds is not null && bounds.AsSpan().SequenceEqual(Bounds));

    /// <summary>The series for these tags, created on first use; null when the tags cannot be turned into labels.</summary>
    public MeterSeries? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_tagKeys is not null)
        {
            tags = KeepAllowed(tags);
        }

        return _lookup.TryGetValue(tags, out MeterSeries? series) ? series : CreateSlow(tags);
    }

    /// <summary>An instrument now records into this family.</summary>
    public void Attach() => Interlocked.Increment(ref _instruments);

    /// <summary>
    /// An instrument stopped (its meter was disposed). When none is left, a gauge family's series are removed:
    /// nobody maintains their values any more. Counters and histograms keep their totals.
    /// </summary>
    public void Detach()
    {
        if (Interlocked.Decrement(ref _instruments) > 0 || _kind != MetricType.Gauge)
        {
            return;
        }

        lock (_createLock)
        {
            var keys = new List<SeriesKey>();
            foreach (MeterSeries series in _series.Values)
            {
                keys.AddRange(series.Keys);
            }

            _series.Clear();
            _byTags.Clear();
            _tagKeyCount = 0;
            Registry.Store.Release(keys.ToArray());
        }
    }

    internal override void Collect(List<CollectedSample> samples)
    {
        MeterSeries[] all;
        lock (_createLock)
        {
            all = [.. _series.Values];
        }

        foreach (MeterSeries series in all)
        {
            switch (_kind)
            {
                case MetricType.Counter:
                    samples.Add(new CollectedSample(Name + "_total", series.LabelNames, series.LabelValues, series.Value));
                    break;
                case MetricType.Gauge:
                    samples.Add(new CollectedSample(Name, series.LabelNames, series.LabelValues, series.Value));
                    break;
                default:
                    string[] names = [.. series.LabelNames, "le"];
                    double cumulative = 0;
                    for (int i = 0; i < series.BucketCount; i++)
                    {
                        cumulative += series.BucketValue(i);
                        samples.Add(new CollectedSample(Name + "_bucket", names, [.. series.LabelValues, _boundLabels[i]], cumulative));
                    }

                    samples.Add(new CollectedSample(Name + "_count", series.LabelNames, series.LabelValues, cumulative));
                    samples.Add(new CollectedSample(Name + "_sum", series.LabelNames, series.LabelValues, series.Value));
                    break;
            }
        }
    }

    private ReadOnlySpan<KeyValuePair<string, object?>> KeepAllowed(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        KeyValuePair<string, object?>[] buffer = t_filtered ??= new KeyValuePair<string, object?>[16];
        if (buffer.Length < tags.Length)
        {
            buffer = t_filtered = new KeyValuePair<string, object?>[tags.Length];
        }

        int kept = 0;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (Array.IndexOf(_tagKeys!, tag.Key) >= 0)
            {
                buffer[kept++] = tag;
            }
        }

        return buffer.AsSpan(0, kept);
    }

    private MeterSeries? CreateSlow(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!TryBuildLabels(tags, out string[] names, out string[] values, out string canonical))
        {
            return null;
        }

        lock (_createLock)
        {
            if (!_series.TryGetValue(canonical, out MeterSeries? series))
            {
                series = CreateSeries(names, values);
                _series.Add(canonical, series);
            }

            if (_tagKeyCount < MaxTagKeys && _lookup.TryAdd(tags, series))
            {
                _tagKeyCount++;
            }

            return series;
        }
    }

    private MeterSeries CreateSeries(string[] names, string[] values)
    {
        IValueStore store = Registry.Store;
        switch (_kind)
        {
            case MetricType.Counter:
            {
                var key = new SeriesKey(DbFileKind.Counter, GaugeMode.All, Name, Name + "_total", names, values, Help);
                return new MeterSeries(names, values, [key], store.Allocate(key), null, null, false);
            }

            case MetricType.Gauge:
            {
                var key = new SeriesKey(DbFileKind.Gauge, Mode, Name, Name, names, values, Help);
                bool timestamp = Mode is GaugeMode.MostRecent or GaugeMode.LiveMostRecent && store.HasTimestamps;
                return new MeterSeries(names, values, [key], store.Allocate(key), null, null, timestamp);
            }

            default:
            {
                double[] bounds = Bounds!;
                var keys = new SeriesKey[bounds.Length + 1];
                string[] bucketNames = [.. names, "le"];

                // Key order as prometheus_client creates them: _sum first, then one _bucket per bound.
                keys[0] = new SeriesKey(DbFileKind.Histogram, GaugeMode.All, Name, Name + "_sum", names, values, Help);
                for (int i = 0; i < bounds.Length; i++)
                {
                    keys[i + 1] = new SeriesKey(DbFileKind.Histogram, GaugeMode.All, Name, Name + "_bucket", bucketNames, [.. values, _boundLabels[i]], Help);
                }

                var cells = new ValueCell[keys.Length];
                store.AllocateAll(keys, cells);
                return new MeterSeries(names, values, keys, cells[0], cells[1..], bounds, false);
            }
        }
    }

    /// <summary>
    /// Tags → sorted, deduplicated labels. Keys are sanitised; keys that become the same label have their values
    /// joined with <c>;</c> in the order of the original keys (the spec's rule). A label the type reserves
    /// (<c>le</c> on histograms, <c>pid</c> on gauges the merge labels per process) becomes <c>exported_{name}</c>.
    /// </summary>
    private bool TryBuildLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags, out string[] names, out string[] values, out string canonical)
    {
        var pairs = new List<(string Label, string Key, string Value)>(tags.Length);
        try
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (string.IsNullOrEmpty(tag.Key))
                {
                    continue;
                }

                pairs.Add((LabelFor(tag.Key), tag.Key, PrometheusNaming.LabelValue(tag.Value)));
            }
        }
#pragma warning disable CA1031 // A tag value's ToString must not break the instrumented code; the measurement is dropped.
        catch (Exception)
#pragma warning restore CA1031
        {
            names = values = [];
            canonical = string.Empty;
            return false;
        }

        pairs.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var merged = new List<(string Label, string Value)>(pairs.Count);
        foreach ((string label, string _, string value) in pairs)
        {
            int at = merged.FindIndex(p => p.Label == label);
            if (at >= 0)
            {
                merged[at] = (label, merged[at].Value + ";" + value);
            }
            else
            {
                merged.Add((label, value));
            }
        }

        merged.Sort(static (a, b) => string.CompareOrdinal(a.Label, b.Label));
        names = new string[merged.Count];
        values = new string[merged.Count];
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < merged.Count; i++)
        {
            names[i] = merged[i].Label;
            values[i] = merged[i].Value;
            text.Append(names[i]).Append('\u0001').Append(values[i]).Append('\u0002');
        }

        canonical = text.ToString();
        return true;
    }

    private string LabelFor(string key)
    {
        string label = PrometheusNaming.SanitizeLabelName(key);
        bool reserved = (label == "le" && _kind == MetricType.Histogram)
            || (label == "pid" && _kind == MetricType.Gauge && Registry.IsMultiProcess);
        return reserved ? "exported_" + label : label;
    }
}
