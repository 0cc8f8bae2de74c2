using System.Collections.Concurrent;
using Chorus.Internal;
using Chorus.Storage;

namespace Chorus;

/// <summary>A metric with children per label-value combination.</summary>
/// <typeparam name="TChild">The child type.</typeparam>
/// <remarks>
/// <c>WithLabels</c> on an existing child takes no lock and, through the span overload, allocates nothing.
/// <c>Remove</c> and <c>Clear</c> really remove series, also in multiprocess mode (see docs/architecture.md, "Write path").
/// </remarks>
public abstract class Collector<TChild> : Collector
    where TChild : MetricChild
{
    private readonly ConcurrentDictionary<string[], TChild> _children = new(LabelValuesComparer.Instance);
    private readonly ConcurrentDictionary<string[], TChild>.AlternateLookup<ReadOnlySpan<string>> _lookup;
    private readonly Lock _createLock = new();
    private TChild? _unlabelled;

    private protected Collector(MetricRegistry registry, string name, string help, string[] labelNames)
        : base(registry, name, help, labelNames)
    {
        _lookup = _children.GetAlternateLookup<ReadOnlySpan<string>>();
    }

    /// <summary>The child for these label values, created on first use.</summary>
    /// <exception cref="ArgumentException">The number of values differs from the number of label names.</exception>
    /// <exception cref="ArgumentNullException">A value is null.</exception>
    public TChild WithLabels(params string[] labelValues)
    {
        ArgumentNullException.ThrowIfNull(labelValues);
        return WithLabels((ReadOnlySpan<string>)labelValues);
    }

    /// <summary>The child for these label values; allocates nothing when the child exists.</summary>
    /// <exception cref="ArgumentException">The number of values differs from the number of label names.</exception>
    /// <exception cref="ArgumentNullException">A value is null.</exception>
    public TChild WithLabels(params ReadOnlySpan<string> labelValues)
    {
        if (_lookup.TryGetValue(labelValues, out TChild? child))
        {
            return child;
        }

        return CreateSlow(labelValues);
    }

    /// <summary>Removes the series of these label values. Returns false when there was none.</summary>
    public bool Remove(params string[] labelValues)
    {
        ArgumentNullException.ThrowIfNull(labelValues);
        return Remove((ReadOnlySpan<string>)labelValues);
    }

    /// <summary>Removes the series of these label values. Returns false when there was none.</summary>
    /// <remarks>
    /// In multiprocess mode the series disappears from Chorus's merged output once no live process holds
    /// it; created again, it starts from zero. prometheus_client's own collector keeps showing its last value.
    /// </remarks>
    public bool Remove(params ReadOnlySpan<string> labelValues)
    {
        if (LabelNameArray.Length == 0)
        {
            throw new InvalidOperationException($"'{Name}' has no labels; there is no series to remove.");
        }

        TChild? removed;
        lock (_createLock)
        {
            if (!_lookup.TryRemove(labelValues, out _, out removed))
            {
                return false;
            }

            Registry.Store.Release(removed.Detach());
        }

        return true;
    }

    /// <summary>Removes every labelled series.</summary>
    public void Clear()
    {
        if (LabelNameArray.Length == 0)
        {
            return;
        }

        lock (_createLock)
        {
            var keys = new List<SeriesKey>();
            foreach (KeyValuePair<string[], TChild> pair in _children)
            {
                keys.AddRange(pair.Value.Detach());
            }

            _children.Clear();
            Registry.Store.Release(keys.ToArray());
        }
    }

    /// <summary>The child of a metric without labels.</summary>
    private protected TChild Unlabelled
    {
        get
        {
            TChild? child = _unlabelled;
            if (child is null)
            {
                ThrowHelper.LabelledMetricUsedWithoutLabels(Name);
            }

            return child;
        }
    }

    internal ICollection<TChild> Children => _children.Values;

    /// <summary>Creates the one child of a metric without labels, so its series shows from the start; null when labelled.</summary>
    private protected TChild? InitializeUnlabelled()
    {
        if (LabelNameArray.Length == 0)
        {
            _unlabelled = WithLabels(ReadOnlySpan<string>.Empty);
        }

        return _unlabelled;
    }

    /// <summary>Throws the error for a labelled metric used without <c>WithLabels</c>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private protected TChild NoLabels()
    {
        ThrowHelper.LabelledMetricUsedWithoutLabels(Name);
        return null!;
    }

    /// <summary>Creates a child, allocating its cells in the store.</summary>
    private protected abstract TChild CreateChild(string[] labelValues);

    private TChild CreateSlow(ReadOnlySpan<string> labelValues)
    {
        if (labelValues.Length != LabelNameArray.Length)
        {
            throw new ArgumentException(
                $"'{Name}' has {LabelNameArray.Length} label(s) ({string.Join(", ", LabelNameArray)}) but {labelValues.Length} value(s) were given.",
                nameof(labelValues));
        }

        foreach (string value in labelValues)
        {
            ArgumentNullException.ThrowIfNull(value, nameof(labelValues));
        }

        lock (_createLock)
        {
            if (_lookup.TryGetValue(labelValues, out TChild? existing))
            {
                return existing;
            }

            string[] values = labelValues.ToArray();
            TChild child = CreateChild(values);
            _children[values] = child;
            return child;
        }
    }
}
