using System.Runtime.CompilerServices;
using Chorus.Exposition;
using Chorus.Files;
using Chorus.Internal;
using Chorus.Storage;

namespace Chorus;

/// <summary>A value that goes up and down (queue length, temperature, requests in progress).</summary>
/// <remarks>
/// Thread-safe and lock-free. In multiprocess mode <see cref="Mode"/> decides how values of many processes
/// merge, exactly as prometheus_client's <c>multiprocess_mode</c>. The <c>mostrecent</c> modes only allow
/// <c>Set</c>, store a timestamp with each value and need the 16-byte layout.
/// </remarks>
public sealed unsafe class Gauge : Collector<Gauge.Child>
{
    // The child of a metric without labels, held here so the hot methods below inline down to the CAS.
    private readonly Child? _self;

    internal Gauge(MetricRegistry registry, string name, string help, string[] labelNames, GaugeMode mode)
        : base(registry, name, help, labelNames)
    {
        Mode = mode;
        IsMostRecent = mode is GaugeMode.MostRecent or GaugeMode.LiveMostRecent;
        _self = InitializeUnlabelled();
    }

    /// <summary>How values of many processes merge.</summary>
    public GaugeMode Mode { get; }

    internal bool IsMostRecent { get; }

    private Child Self
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _self ?? NoLabels();
    }

    internal override MetricType Type => MetricType.Gauge;

    /// <summary>The current value of a gauge without labels (this process only).</summary>
    public double Value => Self.Value;

    /// <summary>Adds <paramref name="increment"/> (default 1) to a gauge without labels.</summary>
    public void Inc(double increment = 1) => Self.Inc(increment);

    /// <summary>Subtracts <paramref name="decrement"/> (default 1) from a gauge without labels.</summary>
    public void Dec(double decrement = 1) => Self.Dec(decrement);

    /// <summary>Sets a gauge without labels.</summary>
    public void Set(double value) => Self.Set(value);

    /// <summary>Sets a gauge without labels to the current Unix time in seconds.</summary>
    public void SetToCurrentTime() => Self.SetToCurrentTime();

    /// <summary>Increments a gauge without labels now and decrements it when the result is disposed.</summary>
    public InProgressTracker TrackInProgress() => Self.TrackInProgress();

    internal override void Collect(List<CollectedSample> samples)
    {
        foreach (Child child in Children)
        {
            samples.Add(new CollectedSample(Name, LabelNameArray, child.LabelValueArray, child.Value));
        }
    }

    private protected override Child CreateChild(string[] labelValues)
    {
        SeriesKey key = KeyFor(DbFileKind.Gauge, Mode, Name, labelValues);
        return new Child(this, labelValues, [key], Registry.Store.Allocate(key), Registry.Store.HasTimestamps);
    }

    /// <summary>The gauge of one label-value combination.</summary>
    public sealed class Child : MetricChild
    {
        private readonly Gauge _parent;
        private readonly ValueCell _cell;
        private readonly bool _writeTimestamp;
        private readonly bool _mostRecent;

        internal Child(Gauge parent, string[] labelValues, SeriesKey[] keys, ValueCell cell, bool hasTimestamp)
            : base(labelValues, keys)
        {
            _parent = parent;
            _cell = cell;
            _mostRecent = parent.IsMostRecent;
            _writeTimestamp = _mostRecent && hasTimestamp;
        }

        /// <summary>The current value in this process.</summary>
        public double Value => _cell.Value;

        /// <summary>Adds <paramref name="increment"/> (default 1).</summary>
        /// <exception cref="InvalidOperationException">The gauge is in a mostrecent mode.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Inc(double increment = 1)
        {
            if (_mostRecent)
            {
                ThrowHelper.IncDecInMostRecentMode(_parent.Name);
            }

            _cell.Add(increment);
        }

        /// <summary>Subtracts <paramref name="decrement"/> (default 1).</summary>
        /// <exception cref="InvalidOperationException">The gauge is in a mostrecent mode.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dec(double decrement = 1) => Inc(-decrement);

        /// <summary>Sets the value. NaN and infinities are stored as given.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Set(double value)
        {
            if (_writeTimestamp)
            {
                _cell.Set(value, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
            }
            else
            {
                _cell.Set(value);
            }
        }

        /// <summary>Sets the value to the current Unix time in seconds.</summary>
        public void SetToCurrentTime() => Set(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);

        /// <summary>Increments now and decrements when the result is disposed (<c>using var _ = gauge.TrackInProgress();</c>).</summary>
        /// <exception cref="InvalidOperationException">The gauge is in a mostrecent mode.</exception>
        public InProgressTracker TrackInProgress()
        {
            Inc();
            return new InProgressTracker(this);
        }
    }
}
