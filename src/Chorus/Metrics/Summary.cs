using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Exposition;
using Chorus.Files;
using Chorus.Internal;
using Chorus.Storage;

namespace Chorus;

/// <summary>Counts and sums observations (<c>_count</c>, <c>_sum</c>); like prometheus_client, no quantiles.</summary>
/// <remarks>Thread-safe and lock-free, not atomic across count and sum.</remarks>
public sealed unsafe class Summary : Collector<Summary.Child>
{
    // The child of a metric without labels, held here so the hot methods below inline down to the CAS.
    private readonly Child? _self;

    internal Summary(MetricRegistry registry, string name, string help, string[] labelNames)
        : base(registry, name, help, labelNames)
    {
        _self = InitializeUnlabelled();
    }

    private Child Self
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _self ?? NoLabels();
    }

    internal override MetricType Type => MetricType.Summary;

    /// <summary>Records one observation in a summary without labels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite.</exception>
    public void Observe(double value) => Self.Observe(value);

    internal override void Collect(List<CollectedSample> samples)
    {
        foreach (Child child in Children)
        {
            samples.Add(new CollectedSample(Name + "_count", LabelNameArray, child.LabelValueArray, child.Count));
            samples.Add(new CollectedSample(Name + "_sum", LabelNameArray, child.LabelValueArray, child.Sum));
        }
    }

    private protected override Child CreateChild(string[] labelValues)
    {
        SeriesKey count = KeyFor(DbFileKind.Summary, GaugeMode.All, Name + "_count", labelValues);
        SeriesKey sum = KeyFor(DbFileKind.Summary, GaugeMode.All, Name + "_sum", labelValues);
        SeriesKey[] keys = [count, sum];
        var cells = new ValueCell[keys.Length];
        Registry.Store.AllocateAll(keys, cells);
        return new Child(this, labelValues, keys, cells[0], cells[1]);
    }

    /// <summary>The summary of one label-value combination.</summary>
    public sealed class Child : MetricChild
    {
        private readonly Summary _parent;
        private readonly ValueCell _count;
        private readonly ValueCell _sum;

        internal Child(Summary parent, string[] labelValues, SeriesKey[] keys, ValueCell count, ValueCell sum)
            : base(labelValues, keys)
        {
            _parent = parent;
            _count = count;
            _sum = sum;
        }

        /// <summary>Observations in this process.</summary>
        public double Count => _count.Value;

        /// <summary>Sum of observations in this process.</summary>
        public double Sum => _sum.Value;

        /// <summary>Records one observation.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Observe(double value)
        {
            if (!double.IsFinite(value))
            {
                ThrowHelper.NonFiniteObservation(_parent.Name, value);
            }

            _count.Add(1);
            _sum.Add(value);
        }

        /// <summary>Observes the seconds elapsed since <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
        public void ObserveDuration(long startTimestamp) => Observe(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
    }
}
