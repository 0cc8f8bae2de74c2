using Chorus.Exposition;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Numerics;

namespace Chorus.Meters;

/// <summary>
/// A <see cref="MeterListener"/> that records the chosen meters' instruments into a registry: instruments
/// published before or after it starts, observable instruments read at each collection of the registry
/// (and every <see cref="MeterOptions.ObservableInterval"/> in multiprocess mode, for other processes' scrapes).
/// </summary>
/// <remarks>
/// An instrument whose family cannot be created (its name is taken by a metric of another type) is skipped and
/// reported through <see cref="Trace"/>. When a meter is disposed its instruments stop recording; gauge
/// families nobody records any more lose their series, counters and histograms keep their totals.
/// </remarks>
internal sealed class MeterBridge : IDisposable
{
    private readonly MetricRegistry _registry;
    private readonly MeterOptions _options;
    private readonly MeterListener _listener;
    private readonly Lock _observeLock = new();
    private readonly Timer? _observeTimer;
    private volatile bool _disposed;

    private MeterBridge(MetricRegistry registry, MeterOptions options)
    {
        _registry = registry;
        _options = options;
        _listener = new MeterListener
        {
            InstrumentPublished = OnInstrumentPublished,
            MeasurementsCompleted = OnMeasurementsCompleted,
        };
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record((double)value, tags));
        _listener.Start();
        if (registry.IsMultiProcess)
        {
            _observeTimer = new Timer(static state => ((MeterBridge)state!).RecordObservables(), this, options.ObservableInterval, options.ObservableInterval);
        }
    }

    /// <summary>Starts listening; the instruments that exist already are enabled at once.</summary>
    public static MeterBridge Start(MetricRegistry registry, MeterOptions options) => new(registry, options.Snapshot());

    /// <summary>Reads every observable instrument now (one reader at a time: observable counters add their growth).</summary>
    public void RecordObservables()
    {
        if (_disposed)
        {
            return;
        }

        lock (_observeLock)
        {
            try
            {
                _listener.RecordObservableInstruments();
            }
#pragma warning disable CA1031 // An application's observable callback failed; a scrape or the timer thread must survive it.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Trace.TraceWarning($"Chorus: an observable instrument's callback failed: {exception.Message}");
            }
        }
    }

    /// <summary>Stops listening; the recorded values stay in the registry.</summary>
    public void Dispose()
    {
        _disposed = true;
        _observeTimer?.Dispose();
        _listener.Dispose();
    }

    private static bool TryClassify(Instrument instrument, out MetricType kind, out MeasurementEffect effect, out bool upDown)
    {
        Type type = instrument.GetType();
        Type? definition = type.IsGenericType ? type.GetGenericTypeDefinition() : null;
        upDown = definition == typeof(UpDownCounter<>) || definition == typeof(ObservableUpDownCounter<>);
        (kind, effect) = (MetricType.Gauge, MeasurementEffect.Set);
        if (definition == typeof(Counter<>))
        {
            (kind, effect) = (MetricType.Counter, MeasurementEffect.Increment);
        }
        else if (definition == typeof(ObservableCounter<>))
        {
            (kind, effect) = (MetricType.Counter, MeasurementEffect.ObservedCumulative);
        }
        else if (definition == typeof(UpDownCounter<>))
        {
            effect = MeasurementEffect.Add;
        }
        else if (definition == typeof(Histogram<>))
        {
            (kind, effect) = (MetricType.Histogram, MeasurementEffect.Observe);
        }
        else if (!upDown && definition != typeof(Gauge<>) && definition != typeof(ObservableGauge<>))
        {
            // An Instrument<T> subclass of the application's own: its meaning is unknown.
            return false;
        }

        return true;
    }

    private static double[]? AdvisedBounds(Instrument instrument) => instrument switch
    {
        Instrument<double> i => ToDoubles(i.Advice?.HistogramBucketBoundaries),
        Instrument<float> i => ToDoubles(i.Advice?.HistogramBucketBoundaries),
        Instrument<long> i => ToDoubles(i.Advice?.HistogramBucketBoundaries),
        Instrument<int> i => ToDoubles(i.Advice?.HistogramBucketBoundaries),
        Instrument<short> i => ToDoubles(i.Advice?.HistogramBucketBoundaries),
        Instrument<byte> i => ToDoubles(i.Advice?.HistogramBucketBoundaries),
        Instrument<decimal> i => ToDoubles(i.Advice?.HistogramBucketBoundaries),
        _ => null,
    };

    private static double[]? ToDoubles<T>(IReadOnlyList<T>? bounds)
        where T : INumberBase<T>
    {
        if (bounds is null || bounds.Count == 0)
        {
            return null;
        }

        double[] result = new double[bounds.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = double.CreateTruncating(bounds[i]);
        }

        return result;
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (_disposed || !_options.IsMeterEnabled(instrument.Meter.Name))
        {
            return;
        }

        MeterView? view = _options.ViewFor(instrument.Name);
        if (view?.Drop == true || !TryClassify(instrument, out MetricType kind, out MeasurementEffect effect, out bool upDown))
        {
            return;
        }

        try
        {
            MeterFamily family = CreateFamily(instrument, view, kind, upDown);
            family.Attach();
            listener.EnableMeasurementEvents(instrument, new InstrumentBinding(family, effect));
        }
        catch (ArgumentException exception)
        {
            Trace.TraceWarning($"Chorus: instrument '{instrument.Name}' of meter '{instrument.Meter.Name}' is not recorded: {exception.Message}");
        }
    }

    private MeterFamily CreateFamily(Instrument instrument, MeterView? view, MetricType kind, bool upDown)
    {
        string name = PrometheusNaming.FamilyName(view?.Name ?? instrument.Name, instrument.Unit, kind);
        GaugeMode mode = GaugeMode.All;
        double[]? bounds = null;
        if (kind == MetricType.Gauge)
        {
            mode = view?.Mode ?? (upDown ? GaugeMode.LiveSum : GaugeMode.LiveAll);
        }
        else if (kind == MetricType.Histogram)
        {
            IReadOnlyList<double> chosen = view?.Buckets ?? (IReadOnlyList<double>?)AdvisedBounds(instrument) ?? MeterOptions.DefaultBuckets;
            bounds = Histogram.ValidateBuckets(name, chosen);
        }

        string[]? tagKeys = view?.TagKeys is { } keys ? [.. keys] : null;
        return _registry.GetOrAddMeterFamily(name, instrument.Description ?? string.Empty, kind, mode, bounds, tagKeys);
    }

    private void OnMeasurementsCompleted(Instrument instrument, object? state)
    {
        // Called for every instrument when the listener itself is disposed too: then the registry is going away.
        if (!_disposed && state is InstrumentBinding binding)
        {
            binding.Family.Detach();
        }
    }
}
