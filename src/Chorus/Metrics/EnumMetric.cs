using Chorus.Exposition;
using Chorus.Files;
using Chorus.Storage;

namespace Chorus;

/// <summary>
/// Which one of a fixed set of states something is in (prometheus_client's <c>Enum</c>, an OpenMetrics
/// stateset): one series per state, labelled <c>{name}="{state}"</c>, 1 for the current state and 0 for the others.
/// </summary>
/// <remarks>
/// Works in multiprocess mode too: stored as <c>livemax</c> gauge series (a state shows 1 if any live process
/// is in it), which prometheus_client's collector reads as a gauge. Changing state writes two values and
/// is not atomic across them.
/// </remarks>
public sealed unsafe class EnumMetric : Collector<EnumMetric.Child>
{
    private readonly string[] _states;

    internal EnumMetric(MetricRegistry registry, string name, string help, string[] labelNames, IReadOnlyList<string> states)
        : base(registry, name, help, labelNames)
    {
        if (states is null || states.Count == 0)
        {
            throw new ArgumentException($"Enum '{name}' needs at least one state (EnumConfiguration.States).", nameof(states));
        }

        if (states.Distinct(StringComparer.Ordinal).Count() != states.Count || states.Any(s => s is null))
        {
            throw new ArgumentException($"Enum '{name}' states must be distinct and not null.", nameof(states));
        }

        _states = [.. states];
        InitializeUnlabelled();
    }

    /// <summary>The states, in order.</summary>
    public IReadOnlyList<string> States => _states;

    internal override MetricType Type => MetricType.StateSet;

    /// <summary>Sets the state of an enum without labels.</summary>
    /// <exception cref="ArgumentException">The state is not one of <see cref="States"/>.</exception>
    public void State(string state) => Unlabelled.State(state);

    internal override void Collect(List<CollectedSample> samples)
    {
        string[] names = [.. LabelNameArray, Name];
        foreach (Child child in Children)
        {
            for (int i = 0; i < _states.Length; i++)
            {
                samples.Add(new CollectedSample(Name, names, [.. child.LabelValueArray, _states[i]], child.StateValue(i)));
            }
        }
    }

    private protected override Child CreateChild(string[] labelValues)
    {
        var keys = new SeriesKey[_states.Length];
        var cells = new ValueCell[_states.Length];
        for (int i = 0; i < _states.Length; i++)
        {
            keys[i] = KeyFor(DbFileKind.Gauge, GaugeMode.LiveMax, Name, labelValues, Name, _states[i]);
        }

        Registry.Store.AllocateAll(keys, cells);

        var child = new Child(this, labelValues, keys, cells);
        child.State(_states[0]);
        return child;
    }

    /// <summary>The enum of one label-value combination.</summary>
    public sealed class Child : MetricChild
    {
        private readonly EnumMetric _parent;
        private readonly ValueCell[] _cells;

        internal Child(EnumMetric parent, string[] labelValues, SeriesKey[] keys, ValueCell[] cells)
            : base(labelValues, keys)
        {
            _parent = parent;
            _cells = cells;
        }

        /// <summary>Sets the current state.</summary>
        /// <exception cref="ArgumentException">The state is not one of the enum's states.</exception>
        public void State(string state)
        {
            int index = Array.IndexOf(_parent._states, state);
            if (index < 0)
            {
                throw new ArgumentException($"'{state}' is not a state of '{_parent.Name}' ({string.Join(", ", _parent._states)}).", nameof(state));
            }

            for (int i = 0; i < _cells.Length; i++)
            {
                _cells[i].Set(i == index ? 1 : 0);
            }
        }

        internal double StateValue(int index) => _cells[index].Value;
    }
}
