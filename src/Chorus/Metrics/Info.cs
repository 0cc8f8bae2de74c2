using Chorus.Exposition;
using Chorus.Files;
using Chorus.Storage;

namespace Chorus;

/// <summary>Key-value facts about the process (<c>build_info{version="1.2"} 1</c>).</summary>
/// <remarks>
/// Works in multiprocess mode too (prometheus_client's does not): stored as a <c>livemax</c> gauge whose
/// sample is <c>{name}_info</c> with value 1, so prometheus_client's collector reads it as a gauge and
/// Chorus's reader turns it back into an info family (docs/architecture.md, "Write path").
/// </remarks>
public sealed unsafe class Info : Collector<Info.Child>
{
    internal Info(MetricRegistry registry, string name, string help, string[] labelNames)
        : base(registry, name, help, labelNames)
    {
        InitializeUnlabelled();
    }

    internal override MetricType Type => MetricType.Info;

    internal string SampleName => Name + "_info";

    /// <summary>Sets the facts of an info metric without labels, replacing earlier ones.</summary>
    /// <exception cref="ArgumentException">A key is not a valid label name or clashes with the metric's labels.</exception>
    public void Set(IReadOnlyDictionary<string, string> values) => Unlabelled.Set(values);

    internal override void Collect(List<CollectedSample> samples)
    {
        foreach (Child child in Children)
        {
            if (child.Current is { } current)
            {
                samples.Add(new CollectedSample(SampleName, current.Names, current.Values, 1));
            }
        }
    }

    private protected override Child CreateChild(string[] labelValues) => new(this, labelValues);

    /// <summary>The info of one label-value combination.</summary>
    public sealed class Child : MetricChild
    {
        private readonly Info _parent;
        private readonly Lock _lock = new();
        private (string[] Names, string[] Values, SeriesKey Key, ValueCell Cell)? _current;
        private bool _detached;

        internal Child(Info parent, string[] labelValues)
            : base(labelValues, [])
        {
            _parent = parent;
        }

        internal (string[] Names, string[] Values)? Current
        {
            get
            {
                lock (_lock)
                {
                    return _current is { } c ? (c.Names, c.Values) : null;
                }
            }
        }

        /// <summary>Sets the facts, replacing earlier ones.</summary>
        /// <exception cref="ArgumentException">A key is not a valid label name or clashes with the metric's labels.</exception>
        public void Set(IReadOnlyDictionary<string, string> values)
        {
            ArgumentNullException.ThrowIfNull(values);
            string[] names = [.. _parent.LabelNameArray];
            string[] all = [.. LabelValueArray];
            foreach (KeyValuePair<string, string> pair in values.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (!MetricNames.IsValidLabelName(pair.Key) || pair.Key.StartsWith("__", StringComparison.Ordinal) || names.Contains(pair.Key))
                {
                    throw new ArgumentException($"Info key '{pair.Key}' of '{_parent.Name}' is not a valid label name or repeats one of the metric's labels.", nameof(values));
                }

                if (pair.Key == "pid" && _parent.Registry.IsMultiProcess)
                {
                    // Stored as a gauge, whose merge strips a pid label (as prometheus_client's does).
                    throw new ArgumentException($"Info key 'pid' of '{_parent.Name}' is reserved in multiprocess mode; use another name such as process_id.", nameof(values));
                }

                ArgumentNullException.ThrowIfNull(pair.Value, nameof(values));
                names = [.. names, pair.Key];
                all = [.. all, pair.Value];
            }

            var key = new SeriesKey(DbFileKind.Gauge, GaugeMode.LiveMax, _parent.Name, _parent.SampleName, names, all, _parent.Help);
            lock (_lock)
            {
                if (_detached)
                {
                    // A removed child keeps working but is no longer exported: its facts stay in this object only.
                    _current = (names, all, key, default);
                    return;
                }

                if (_current is { } same && same.Key.Encode().AsSpan().SequenceEqual(key.Encode()))
                {
                    return;
                }

                // The new facts' cell first: if it cannot be had, the old facts stay as they were.
                ValueCell cell = _parent.Registry.Store.Allocate(key);
                if (_current is { } old)
                {
                    // Zero the old facts so prometheus_client's collector (which ignores removals) shows 0, not a stale 1.
                    old.Cell.Set(0);
                    _parent.Registry.Store.Release([old.Key]);
                }

                cell.Set(1);
                _current = (names, all, key, cell);
            }
        }

        internal override SeriesKey[] Detach()
        {
            lock (_lock)
            {
                _detached = true;
                if (_current is not { } current)
                {
                    return [];
                }

                // As in Set: prometheus_client's collector ignores removals, so it should at least see 0, not a stale 1.
                current.Cell.Set(0);
                return [current.Key];
            }
        }
    }
}
