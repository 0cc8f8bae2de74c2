using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Exposition;
using Chorus.Files;
using Chorus.Internal;
using Chorus.Storage;

namespace Chorus;

/// <summary>Counts observations into buckets (request durations, response sizes) and sums them.</summary>
/// <remarks>
/// Thread-safe and lock-free, but not atomic across its parts: a reader may see a bucket before the sum
/// catches up. Stored as prometheus_client does: one non-cumulative <c>_bucket</c> value per bound plus <c>_sum</c>;
/// readers make buckets cumulative and derive <c>_count</c>.
/// </remarks>
public sealed unsafe class Histogram : Collector<Histogram.Child>
{
    // The child of a metric without labels, held here so the hot methods below inline down to the CAS.
    private readonly Child? _self;

    /// <summary>prometheus_client's default buckets: 5 ms to 10 s, then +Inf.</summary>
    public static readonly IReadOnlyList<double> DefaultBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, double.PositiveInfinity];

    private readonly double[] _bounds;
    private readonly string[] _boundLabels;

    internal Histogram(MetricRegistry registry, string name, string help, string[] labelNames, IReadOnlyList<double>? buckets)
        : base(registry, name, help, labelNames)
    {
        _bounds = ValidateBuckets(name, buckets ?? DefaultBuckets);
        _boundLabels = Array.ConvertAll(_bounds, GoFloat.ToString);
        _self = InitializeUnlabelled();
    }

    /// <summary>The bucket upper bounds, ending with +Inf.</summary>
    public IReadOnlyList<double> Buckets => _bounds;

    private Child Self
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _self ?? NoLabels();
    }

    internal override MetricType Type => MetricType.Histogram;

    /// <summary><paramref name="count"/> bounds: <paramref name="start"/>, start + width, ... (+Inf is added by the histogram).</summary>
    public static double[] LinearBuckets(double start, double width, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        double[] result = new double[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = start + (i * width);
        }

        return result;
    }

    /// <summary><paramref name="count"/> bounds: <paramref name="start"/>, start × factor, ... (+Inf is added by the histogram).</summary>
    public static double[] ExponentialBuckets(double start, double factor, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(start);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(factor, 1.0);
        double[] result = new double[count];
        double bound = start;
        for (int i = 0; i < count; i++)
        {
            result[i] = bound;
            bound *= factor;
        }

        return result;
    }

    /// <summary>Records one observation in a histogram without labels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite.</exception>
    public void Observe(double value) => Self.Observe(value);

    /// <summary>Starts a timer that observes the elapsed seconds when disposed.</summary>
    public HistogramTimer NewTimer() => Self.NewTimer();

    internal override void Collect(List<CollectedSample> samples)
    {
        string[] names = [.. LabelNameArray, "le"];
        foreach (Child child in Children)
        {
            double cumulative = 0;
            for (int i = 0; i < _bounds.Length; i++)
            {
                cumulative += child.BucketValue(i);
                samples.Add(new CollectedSample(Name + "_bucket", names, [.. child.LabelValueArray, _boundLabels[i]], cumulative));
            }

            samples.Add(new CollectedSample(Name + "_count", LabelNameArray, child.LabelValueArray, cumulative));
            samples.Add(new CollectedSample(Name + "_sum", LabelNameArray, child.LabelValueArray, child.Sum));
        }
    }

    private protected override Child CreateChild(string[] labelValues)
    {
        var keys = new SeriesKey[_bounds.Length + 1];

        // Key order as prometheus_client creates them: _sum first, then one _bucket per bound.
        keys[0] = KeyFor(DbFileKind.Histogram, GaugeMode.All, Name + "_sum", labelValues);
        for (int i = 0; i < _bounds.Length; i++)
        {
            keys[i + 1] = KeyFor(DbFileKind.Histogram, GaugeMode.All, Name + "_bucket", labelValues, "le", _boundLabels[i]);
        }

        var cells = new ValueCell[keys.Length];
        Registry.Store.AllocateAll(keys, cells);
        return new Child(this, labelValues, keys, cells[1..], cells[0]);
    }

    /// <summary>The bounds as given, +Inf appended when missing; throws when empty or not strictly increasing.</summary>
    internal static double[] ValidateBuckets(string name, IReadOnlyList<double> buckets)
    {
        var bounds = new List<double>(buckets);
        if (bounds.Count == 0 || bounds[^1] != double.PositiveInfinity)
        {
            bounds.Add(double.PositiveInfinity);
        }

        if (bounds.Count < 2)
        {
            throw new ArgumentException($"Histogram '{name}' needs at least one bucket besides +Inf.", nameof(buckets));
        }

        for (int i = 0; i < bounds.Count; i++)
        {
            if (double.IsNaN(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
            {
                throw new ArgumentException($"Histogram '{name}' buckets must be numbers in strictly increasing order.", nameof(buckets));
            }
        }

        return [.. bounds];
    }

    /// <summary>The index of the first bound at or above <paramref name="value"/> (the last, +Inf, catches the rest).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int FindBucket(double[] bounds, double value)
    {
        // Linear for the usual short lists (branch-predictable), binary search for long ones.
        if (bounds.Length <= 16)
        {
            for (int i = 0; i < bounds.Length; i++)
            {
                if (value <= bounds[i])
                {
                    return i;
                }
            }

            return bounds.Length - 1;
        }

        int index = Array.BinarySearch(bounds, value);
        return index >= 0 ? index : ~index;
    }

    /// <summary>The histogram of one label-value combination.</summary>
    public sealed class Child : MetricChild
    {
        private readonly Histogram _parent;
        private readonly double[] _bounds;
        private readonly ValueCell[] _buckets;
        private readonly ValueCell _sum;

        internal Child(Histogram parent, string[] labelValues, SeriesKey[] keys, ValueCell[] buckets, ValueCell sum)
            : base(labelValues, keys)
        {
            _parent = parent;
            _bounds = parent._bounds;
            _buckets = buckets;
            _sum = sum;
        }

        /// <summary>The sum of observations in this process.</summary>
        public double Sum => _sum.Value;

        /// <summary>The number of observations in this process.</summary>
        public double Count
        {
            get
            {
                double count = 0;
                for (int i = 0; i < _buckets.Length; i++)
                {
                    count += BucketValue(i);
                }

                return count;
            }
        }

        /// <summary>Records one observation: finds its bucket, then one CAS on the bucket and one on the sum.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Observe(double value)
        {
            if (!double.IsFinite(value))
            {
                ThrowHelper.NonFiniteObservation(_parent.Name, value);
            }

            _buckets[BucketIndex(value)].Add(1);
            _sum.Add(value);
        }

        /// <summary>Starts a timer that observes the elapsed seconds when disposed.</summary>
        public HistogramTimer NewTimer() => new(this, Stopwatch.GetTimestamp());

        internal double BucketValue(int index) => _buckets[index].Value;

        private int BucketIndex(double value) => FindBucket(_bounds, value);
    }
}
