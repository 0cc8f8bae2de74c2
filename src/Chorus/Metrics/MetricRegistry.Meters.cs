using Chorus.Exposition;
using Chorus.Files;
using Chorus.Meters;
using Chorus.ProcessStats;

namespace Chorus;

/// <content>The System.Diagnostics.Metrics bridge: meters recorded into this registry.</content>
public sealed partial class MetricRegistry
{
    private readonly List<MeterBridge> _bridges = [];
    private ProcessMetrics? _processMetrics;

    /// <summary>
    /// Adds the process metrics (<c>process_cpu_seconds_total</c>, <c>process_resident_memory_bytes</c>,
    /// <c>process_virtual_memory_bytes</c>, <c>process_open_fds</c>, <c>process_max_fds</c>,
    /// <c>process_start_time_seconds</c>). Calling it again does nothing.
    /// </summary>
    /// <remarks>
    /// In multiprocess mode each process writes its own values, refreshed every 5 seconds and at each collection of
    /// this registry: the gauges as <c>liveall</c> (one series per live process, label <c>pid</c>), and
    /// <c>process_cpu_seconds_total</c> as a counter labelled <c>pid</c> (restarting from the new process's own CPU
    /// time when another process takes the slot). In memory they are read at each collection.
    /// </remarks>
    /// <exception cref="ArgumentException">The registry already has a different metric of one of these names.</exception>
    public void AddProcessMetrics()
    {
        lock (_lock)
        {
            if (_processMetrics is not null)
            {
                return;
            }
        }

        var created = new ProcessMetrics(this);
        lock (_lock)
        {
            if (_processMetrics is null)
            {
                _processMetrics = created;
                return;
            }
        }

        created.Dispose();
    }

    /// <summary>
    /// Records the instruments of the meters <paramref name="options"/> names into this registry, in memory or
    /// in the multiprocess directory, until the result (or the registry) is disposed. Instruments created later
    /// are picked up when they are published.
    /// </summary>
    /// <param name="options">Meter names or patterns and per-instrument views; later changes to it have no effect.</param>
    /// <returns>Stops the listening when disposed; values already recorded stay.</returns>
    /// <exception cref="ArgumentException">The options name no meter.</exception>
    public IDisposable ListenToMeters(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.IsEmpty)
        {
            throw new ArgumentException("Name at least one meter (MeterOptions.AddMeter): nothing is recorded by default.", nameof(options));
        }

        MeterBridge bridge = MeterBridge.Start(this, options);
        lock (_lock)
        {
            _bridges.Add(bridge);
        }

        return new BridgeHandle(this, bridge);
    }

    /// <summary>The family a bridged instrument records into, shared by instruments of the same name and shape.</summary>
    /// <exception cref="ArgumentException">The name is taken by another metric, or the mode needs timestamps the layout lacks.</exception>
    internal MeterFamily GetOrAddMeterFamily(string name, string help, MetricType kind, GaugeMode mode, double[]? bounds, string[]? tagKeys)
    {
        if (!MetricNames.IsValidMetricName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid metric name.", nameof(name));
        }

        if (mode is GaugeMode.MostRecent or GaugeMode.LiveMostRecent && IsMultiProcess && !Store.HasTimestamps)
        {
            throw new ArgumentException($"Mode {mode.ToFileName()} needs the 16-byte layout's timestamps; this registry writes the 8-byte layout.", nameof(mode));
        }

        return GetOrAdd(name, [], () => new MeterFamily(this, name, help, kind, mode, bounds, tagKeys), family => family.SameShape(kind, mode, bounds));
    }

    /// <summary>Reads the observable instruments of every bridge and the process metrics, so a collection shows current values.</summary>
    private void RecordObservables()
    {
        MeterBridge[] bridges;
        ProcessMetrics? process;
        lock (_lock)
        {
            process = _processMetrics;
            bridges = _bridges.Count == 0 ? [] : [.. _bridges];
        }

        process?.Update();
        foreach (MeterBridge bridge in bridges)
        {
            bridge.RecordObservables();
        }
    }

    private void DisposeBridges()
    {
        MeterBridge[] bridges;
        lock (_lock)
        {
            bridges = [.. _bridges];
            _bridges.Clear();
            _processMetrics?.Dispose();
        }

        foreach (MeterBridge bridge in bridges)
        {
            bridge.Dispose();
        }
    }

    private sealed class BridgeHandle(MetricRegistry registry, MeterBridge bridge) : IDisposable
    {
        public void Dispose()
        {
            lock (registry._lock)
            {
                registry._bridges.Remove(bridge);
            }

            bridge.Dispose();
        }
    }
}
