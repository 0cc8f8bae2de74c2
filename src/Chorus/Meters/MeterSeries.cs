using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Chorus.Storage;

namespace Chorus.Meters;

/// <summary>
/// One series of a bridged instrument: its own label names and values (measurements of one instrument may
/// carry different tag sets) and the addresses of its values in the registry's store.
/// </summary>
/// <remarks>Recording is lock-free: a CAS or a volatile store on the cell, as the registry's own metrics.</remarks>
internal sealed unsafe class MeterSeries
{
    private readonly ValueCell _value;
    private readonly ValueCell[]? _buckets;
    private readonly double[]? _bounds;
    private readonly bool _writeTimestamp;

    // The last cumulative value an observable counter reported: only the growth is added to the cell, so a
    // value continued from a previous owner of this process's files is never overwritten (counters never go back).
    // Per source: two instruments of one name and tags (a service registered twice) each report their own total, and
    // one's lower total is not the other's restart. The first source's is kept in fields, any others' beside them.
    private object? _observer;
    private double _lastObserved;
    private Dictionary<object, double>? _otherObservers;

    public MeterSeries(string[] labelNames, string[] labelValues, SeriesKey[] keys, ValueCell value, ValueCell[]? buckets, double[]? bounds, bool writeTimestamp)
    {
        LabelNames = labelNames;
        LabelValues = labelValues;
        Keys = keys;
        _value = value;
        _buckets = buckets;
        _bounds = bounds;
        _writeTimestamp = writeTimestamp;
    }

    public string[] LabelNames { get; }

    public string[] LabelValues { get; }

    public SeriesKey[] Keys { get; }

    /// <summary>The counter or gauge value, or the histogram's sum.</summary>
    public double Value => _value.Value;

    /// <summary>Adds to a counter (only non-negative finite amounts) or an up-down counter (any finite amount).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(double amount) => _value.Add(amount);

    /// <summary>Sets a gauge, and its timestamp in the <c>mostrecent</c> modes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(double value)
    {
        if (_writeTimestamp)
        {
            _value.Set(value, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        }
        else
        {
            _value.Set(value);
        }
    }

    /// <summary>One histogram observation: a CAS on its bucket, one on the sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Observe(double value)
    {
        _buckets![Histogram.FindBucket(_bounds!, value)].Add(1);
        _value.Add(value);
    }

    /// <summary>
    /// An observable counter's cumulative value: adds its growth since the last observation; a value below the
    /// last one means the source restarted, and counts from zero.
    /// </summary>
    /// <remarks>Called only while the bridge holds its observation lock.</remarks>
    /// <param name="source">The instrument that reported it (its binding).</param>
    /// <param name="cumulative">The total it reported.</param>
    public void AddObservedCumulative(object source, double cumulative)
    {
        ref double last = ref LastObservedBy(source);
        double growth = cumulative >= last ? cumulative - last : cumulative;
        last = cumulative;
        if (growth > 0)
        {
            _value.Add(growth);
        }
    }

    private ref double LastObservedBy(object source)
    {
        if (_observer is null || ReferenceEquals(_observer, source))
        {
            _observer = source;
            return ref _lastObserved;
        }

        _otherObservers ??= new(ReferenceEqualityComparer.Instance);
        return ref CollectionsMarshal.GetValueRefOrAddDefault(_otherObservers, source, out _);
    }

    /// <summary>The non-cumulative count of bucket <paramref name="index"/>.</summary>
    public double BucketValue(int index) => _buckets![index].Value;

    public int BucketCount => _buckets?.Length ?? 0;
}
