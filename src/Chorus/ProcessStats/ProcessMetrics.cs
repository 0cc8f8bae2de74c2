using Chorus.Exposition;
using System.Diagnostics;
using System.Globalization;
using Chorus.Meters;

namespace Chorus.ProcessStats;

/// <summary>
/// The process metrics every Prometheus client exports (<c>process_cpu_seconds_total</c>,
/// <c>process_resident_memory_bytes</c>, <c>process_virtual_memory_bytes</c>, <c>process_open_fds</c>,
/// <c>process_max_fds</c>, <c>process_start_time_seconds</c>), with prometheus_client's names and help texts.
/// </summary>
/// <remarks>
/// In memory they are read when the registry is collected. In multiprocess mode every process writes its own
/// values, refreshed at each collection of its registry and every <see cref="RefreshInterval"/>, so a scrape
/// through another process sees them too: the gauges as <c>liveall</c> (label <c>pid</c>, gone with the process),
/// <c>process_cpu_seconds_total</c> as a counter with an explicit <c>pid</c> label whose value is written, not
/// added: a new process that takes over a slot starts it again from its own CPU time (a counter reset, as when a
/// process restarts), and a dead process's last value stays, as every counter's does. Thread counts are left out
/// on purpose: enumerating threads made prometheus-net's scrapes take seconds (its #506).
/// </remarks>
internal sealed class ProcessMetrics : IDisposable
{
    /// <summary>How often a multiprocess registry writes fresh values for other processes' scrapes.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly Counter? _cpuCounter;
    private readonly MeterSeries? _cpuSeries;
    private readonly Gauge _resident;
    private readonly Gauge _virtual;
    private readonly Gauge _openFds;
    private readonly Gauge _maxFds;
    private readonly Gauge _startTime;
    private readonly Timer? _timer;
    private volatile bool _disposed;

    public ProcessMetrics(MetricRegistry registry)
    {
        bool multiProcess = registry.IsMultiProcess;
        GaugeConfiguration Gauge() => new() { Mode = GaugeMode.LiveAll };
        const string CpuHelp = "Total user and system CPU time spent in seconds.";
        if (multiProcess)
        {
            MeterFamily cpu = registry.GetOrAddMeterFamily("process_cpu_seconds", CpuHelp, MetricType.Counter, GaugeMode.All, null, null);
            _cpuSeries = cpu.Find([new KeyValuePair<string, object?>("pid", registry.Identity)]);
        }
        else
        {
            _cpuCounter = registry.CreateCounter("process_cpu_seconds_total", CpuHelp);
        }

        _resident = registry.CreateGauge("process_resident_memory_bytes", "Resident memory size in bytes.", Gauge());
        _virtual = registry.CreateGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", Gauge());
        _openFds = registry.CreateGauge("process_open_fds", "Number of open file descriptors.", Gauge());
        _maxFds = registry.CreateGauge("process_max_fds", "Maximum number of open file descriptors.", Gauge());
        _startTime = registry.CreateGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", Gauge());
        using (Process self = Process.GetCurrentProcess())
        {
            _startTime.Set(new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
        }

        Update();
        if (multiProcess)
        {
            _timer = new Timer(static state => ((ProcessMetrics)state!).Update(), this, RefreshInterval, RefreshInterval);
        }
    }

    /// <summary>Reads the current values; never throws (a value that cannot be read keeps its last one).</summary>
    public void Update()
    {
        if (_disposed)
        {
            return;
        }

        lock (_lock)
        {
            try
            {
                using Process self = Process.GetCurrentProcess();
                double cpu = self.TotalProcessorTime.TotalSeconds;
                if (_cpuCounter is not null)
                {
                    _cpuCounter.IncTo(cpu);
                }
                else
                {
                    _cpuSeries?.Set(cpu);
                }

                _resident.Set(self.WorkingSet64);
                _virtual.Set(self.VirtualMemorySize64);
            }
            catch (InvalidOperationException)
            {
            }

            if (TryCountOpenFds(out int open))
            {
                _openFds.Set(open);
            }

            if (TryReadMaxFds(out double max))
            {
                _maxFds.Set(max);
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _timer?.Dispose();
    }

    private static bool TryCountOpenFds(out int count)
    {
        count = 0;
        try
        {
            foreach (string _ in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                count++;
            }

            // The enumeration's own descriptor is one of them.
            count = Math.Max(0, count - 1);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool TryReadMaxFds(out double max)
    {
        max = 0;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    string[] fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out max);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return false;
    }
}
