using System.Runtime.CompilerServices;
using Chorus.Exposition;
using Chorus.Files;
using Chorus.Internal;
using Chorus.Storage;

namespace Chorus;

/// <summary>
/// A value that only goes up (requests served, bytes sent). Exported as <c>{name}_total</c>.
/// </summary>
/// <remarks>Thread-safe and lock-free; in multiprocess mode each process adds to its own file and the reader sums them.</remarks>
public sealed unsafe class Counter : Collector<Counter.Child>
{
    // The child of a metric without labels, held here so the hot methods below inline down to the CAS.
    private readonly Child? _self;

    internal Counter(MetricRegistry registry, string name, string help, string[] labelNames)
        : base(registry, name, help, labelNames)
    {
        SampleName = name + "_total";
        _self = InitializeUnlabelled();
    }

    internal string SampleName { get; }

    private Child Self
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _self ?? NoLabels();
    }

    internal override MetricType Type => MetricType.Counter;

    /// <summary>The current value of a counter without labels (this process only).</summary>
    public double Value => Self.Value;

    /// <summary>Adds <paramref name="increment"/> (default 1) to a counter without labels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The increment is negative, NaN or infinite.</exception>
    public void Inc(double increment = 1) => Self.Inc(increment);

    /// <summary>Raises a counter without labels to <paramref name="target"/> if it is lower.</summary>
    public void IncTo(double target) => Self.IncTo(target);

    internal override void Collect(List<CollectedSample> samples)
    {
        foreach (Child child in Children)
        {
            samples.Add(new CollectedSample(SampleName, LabelNameArray, child.LabelValueArray, child.Value));
        }
    }

    private protected override Child CreateChild(string[] labelValues)
    {
        SeriesKey key = KeyFor(DbFileKind.Counter, GaugeMode.All, SampleName, labelValues);
        return new Child(this, labelValues, [key], Registry.Store.Allocate(key));
    }

    /// <summary>The counter of one label-value combination.</summary>
    public sealed class Child : MetricChild
    {
        private readonly Counter _parent;
        private readonly ValueCell _cell;

        internal Child(Counter parent, string[] labelValues, SeriesKey[] keys, ValueCell cell)
            : base(labelValues, keys)
        {
            _parent = parent;
            _cell = cell;
        }

        /// <summary>The current value in this process (in multiprocess mode: this process's file).</summary>
        public double Value => _cell.Value;

        /// <summary>Adds <paramref name="increment"/> (default 1).</summary>
        /// <exception cref="ArgumentOutOfRangeException">The increment is negative, NaN or infinite.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Inc(double increment = 1)
        {
            // One comparison rejects negatives, NaN and both infinities.
            if (!(increment >= 0 && increment < double.PositiveInfinity))
            {
                ThrowHelper.NegativeOrNonFinite(_parent.Name, increment);
            }

            _cell.Add(increment);
        }

        /// <summary>Raises the value to <paramref name="target"/> if it is lower; never lowers it.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The target is NaN or infinite.</exception>
        public void IncTo(double target)
        {
            if (!double.IsFinite(target))
            {
                ThrowHelper.NegativeOrNonFinite(_parent.Name, target);
            }

            _cell.RaiseTo(target);
        }
    }
}
