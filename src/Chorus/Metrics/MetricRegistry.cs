using Chorus.Files;
using Chorus.Storage;

namespace Chorus;

/// <summary>
/// A set of metrics and the store their values live in: process memory, or prometheus_client-format files
/// in a multiprocess directory shared with other processes. Create one with <see cref="Metrics.NewCustomRegistry"/>,
/// or use <see cref="Metrics.DefaultRegistry"/>.
/// </summary>
/// <remarks>
/// Creating a metric twice with the same name, type and labels returns the first instance. A multiprocess
/// registry holds its identity (slot, pid or custom name) until it is disposed or the process ends.
/// </remarks>
public sealed partial class MetricRegistry : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Collector> _collectors = new(StringComparer.Ordinal);
    private readonly MultiProcessStore? _multiProcess;

    internal MetricRegistry(ChorusOptions? options)
    {
        if (options?.Directory is null)
        {
            Store = new SlabStore();
        }
        else
        {
            _multiProcess = MultiProcessStore.Open(options);
            Store = _multiProcess;
        }

        try
        {
            if (options is not null && !options.Meters.IsEmpty)
            {
                ListenToMeters(options.Meters);
            }

            if (options?.ProcessMetrics == true)
            {
                AddProcessMetrics();
            }
        }
        catch
        {
            // A registry nobody gets must not keep listening, nor hold its slot until the process ends.
            Dispose();
            throw;
        }
    }

    /// <summary>True when values live in a shared multiprocess directory.</summary>
    public bool IsMultiProcess => _multiProcess is not null;

    /// <summary>The multiprocess directory (full path), or null in memory.</summary>
    public string? Directory => _multiProcess?.Directory;

    /// <summary>The identity in this registry's file names (<c>counter_{Identity}.db</c>), or null in memory.</summary>
    public string? Identity => _multiProcess?.Identity;

    /// <summary>The value layout written, or null in memory.</summary>
    public ValueLayout? ValueLayout => _multiProcess?.Layout;

    /// <summary>Problems found and survived while opening files: files moved aside, series kept in memory.</summary>
    public IReadOnlyList<string> StorageNotes => _multiProcess?.Notes ?? [];

    internal IValueStore Store { get; }

    /// <summary>Creates (or returns the existing) counter.</summary>
    /// <param name="name">The name; a trailing <c>_total</c> is dropped from the family and kept on the sample.</param>
    /// <param name="help">HELP text.</param>
    /// <param name="configuration">Labels, namespace, subsystem and unit.</param>
    /// <exception cref="ArgumentException">A name is invalid, or the name is taken by a different metric.</exception>
    public Counter CreateCounter(string name, string help, CounterConfiguration? configuration = null)
    {
        string family = MetricNames.BuildFamilyName("counter", name, configuration);
        string[] labels = MetricNames.ValidateLabelNames(family, configuration?.LabelNames, []);
        return GetOrAdd(family, labels, () => new Counter(this, family, help, labels));
    }

    /// <summary>Creates (or returns the existing) gauge.</summary>
    /// <param name="name">The name.</param>
    /// <param name="help">HELP text.</param>
    /// <param name="configuration">Labels, namespace, subsystem, unit and the multiprocess mode.</param>
    /// <exception cref="ArgumentException">A name is invalid, the name is taken by a different metric, or the mode needs timestamps the layout lacks.</exception>
    public Gauge CreateGauge(string name, string help, GaugeConfiguration? configuration = null)
    {
        string family = MetricNames.BuildFamilyName("gauge", name, configuration);
        GaugeMode mode = configuration?.Mode ?? GaugeMode.All;
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(configuration), mode, "Unknown gauge mode.");
        }

        if (mode is GaugeMode.MostRecent or GaugeMode.LiveMostRecent && IsMultiProcess && !Store.HasTimestamps)
        {
            throw new ArgumentException(
                $"Gauge '{family}' uses mode {mode.ToFileName()}, which needs the 16-byte layout's timestamps; this registry writes the 8-byte layout (prometheus_client 0.16/0.17 cannot merge it either).",
                nameof(configuration));
        }

        // prometheus_client overwrites (all, liveall) or strips (other modes) a user label named pid.
        string[] reserved = IsMultiProcess ? ["pid"] : [];
        string[] labels = MetricNames.ValidateLabelNames(family, configuration?.LabelNames, reserved);
        return GetOrAdd(family, labels, () => new Gauge(this, family, help, labels, mode), existing => existing.Mode == mode);
    }

    /// <summary>Creates (or returns the existing) histogram.</summary>
    /// <param name="name">The name.</param>
    /// <param name="help">HELP text.</param>
    /// <param name="configuration">Labels, namespace, subsystem, unit and buckets.</param>
    /// <exception cref="ArgumentException">A name or the buckets are invalid, or the name is taken by a different metric.</exception>
    public Histogram CreateHistogram(string name, string help, HistogramConfiguration? configuration = null)
    {
        string family = MetricNames.BuildFamilyName("histogram", name, configuration);
        string[] labels = MetricNames.ValidateLabelNames(family, configuration?.LabelNames, ["le"]);
        return GetOrAdd(family, labels, () => new Histogram(this, family, help, labels, configuration?.Buckets));
    }

    /// <summary>Creates (or returns the existing) summary (count and sum).</summary>
    /// <param name="name">The name.</param>
    /// <param name="help">HELP text.</param>
    /// <param name="configuration">Labels, namespace, subsystem and unit.</param>
    /// <exception cref="ArgumentException">A name is invalid, or the name is taken by a different metric.</exception>
    public Summary CreateSummary(string name, string help, SummaryConfiguration? configuration = null)
    {
        string family = MetricNames.BuildFamilyName("summary", name, configuration);
        string[] labels = MetricNames.ValidateLabelNames(family, configuration?.LabelNames, ["quantile"]);
        return GetOrAdd(family, labels, () => new Summary(this, family, help, labels));
    }

    /// <summary>Creates (or returns the existing) info metric.</summary>
    /// <param name="name">The name; the sample is <c>{name}_info</c>.</param>
    /// <param name="help">HELP text.</param>
    /// <param name="configuration">Labels, namespace and subsystem (no unit).</param>
    /// <exception cref="ArgumentException">A name is invalid, or the name is taken by a different metric.</exception>
    public Info CreateInfo(string name, string help, InfoConfiguration? configuration = null)
    {
        string family = MetricNames.BuildFamilyName("info", name, configuration);
        string[] labels = MetricNames.ValidateLabelNames(family, configuration?.LabelNames, IsMultiProcess ? ["pid"] : []);
        return GetOrAdd(family, labels, () => new Info(this, family, help, labels));
    }

    /// <summary>Creates (or returns the existing) enum (stateset) metric.</summary>
    /// <param name="name">The name; it is also the label that carries the state.</param>
    /// <param name="help">HELP text.</param>
    /// <param name="configuration">The states (required), labels, namespace and subsystem (no unit).</param>
    /// <exception cref="ArgumentException">A name or the states are invalid, or the name is taken by a different metric.</exception>
    public EnumMetric CreateEnum(string name, string help, EnumConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string family = MetricNames.BuildFamilyName("stateset", name, configuration);
        string[] reserved = IsMultiProcess ? [family, "pid"] : [family];
        string[] labels = MetricNames.ValidateLabelNames(family, configuration.LabelNames, reserved);
        return GetOrAdd(family, labels, () => new EnumMetric(this, family, help, labels, configuration.States));
    }

    /// <summary>
    /// Frees the identity (another process may take the slot) and closes the files. Metrics of a disposed
    /// registry must not be used: their values are no longer exported (the memory stays mapped, so a stray
    /// call cannot crash the process).
    /// </summary>
    public void Dispose()
    {
        DisposeBridges();
        lock (_lock)
        {
            _directoryReader?.Dispose();
        }

        Store.Dispose();
    }

    internal Collector[] SnapshotCollectors()
    {
        lock (_lock)
        {
            return [.. _collectors.Values];
        }
    }

    private T GetOrAdd<T>(string family, string[] labels, Func<T> create, Func<T, bool>? sameShape = null)
        where T : Collector
    {
        lock (_lock)
        {
            if (_collectors.TryGetValue(family, out Collector? existing))
            {
                if (existing is T typed && typed.LabelNameArray.AsSpan().SequenceEqual(labels) && (sameShape?.Invoke(typed) ?? true))
                {
                    return typed;
                }

                throw new ArgumentException($"A different metric named '{family}' ({existing.Type}, labels: {string.Join(", ", existing.LabelNameArray)}) already exists in this registry.");
            }

            T created = create();
            _collectors.Add(family, created);
            return created;
        }
    }
}
