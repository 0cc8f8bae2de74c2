
namespace Chorus.Tests.Meters;

/// <summary>The process metrics: prometheus_client's names, plausible values, one series per process in multiprocess mode.</summary>
public sealed class ProcessMetricsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void InMemory_ProcessMetricsAreReadAtCollection()
    {
        using MetricRegistry registry = Metrics.NewCustomRegistry(new ChorusOptions { ProcessMetrics = true });
        Dictionary<string, ParsedFamily> families = MeterBridgeTests.Scrape(registry);
        Assert.Equal("counter", families["process_cpu_seconds_total"].Type);
        double cpu = Assert.Single(families["process_cpu_seconds_total"].Samples).Value;
        Assert.True(cpu > 0, $"cpu {cpu}");
        Assert.InRange(Assert.Single(families["process_resident_memory_bytes"].Samples).Value, 1 << 20, 1L << 40);
        Assert.True(Assert.Single(families["process_virtual_memory_bytes"].Samples).Value > 0);
        Assert.InRange(Assert.Single(families["process_open_fds"].Samples).Value, 3, 1 << 20);
        Assert.True(Assert.Single(families["process_max_fds"].Samples).Value >= Assert.Single(families["process_open_fds"].Samples).Value);
        double start = Assert.Single(families["process_start_time_seconds"].Samples).Value;
        // Both sides to the millisecond, with a second either way: the start time comes from the kernel's boot time, which
        // /proc gives in whole seconds (whole seconds on this side made a test run within a second of its start fail).
        Assert.InRange((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0) - start, -1, 24 * 3600);

        // CPU time only grows between collections.
        for (long spin = 0, until = Environment.TickCount64 + 50; Environment.TickCount64 < until; spin++)
        {
        }

        Assert.True(MeterBridgeTests.Samples(MeterBridgeTests.Scrape(registry))["process_cpu_seconds_total{}"] > cpu);
    }

    [Fact]
    public void MultiProcess_EachProcessWritesItsOwnLiveSeries()
    {
        using MetricRegistry first = Metrics.NewCustomRegistry(new ChorusOptions { Directory = _dir.Path, ProcessMetrics = true });
        using MetricRegistry second = Metrics.NewCustomRegistry(new ChorusOptions { Directory = _dir.Path, ProcessMetrics = true });
        Dictionary<string, ParsedFamily> families = MeterBridgeTests.Scrape(first);
        Assert.Equal(["0", "1"], families["process_resident_memory_bytes"].Samples.Select(s => s.Labels["pid"]).Order());
        Assert.Equal("counter", families["process_cpu_seconds_total"].Type);
        Assert.Equal(["0", "1"], families["process_cpu_seconds_total"].Samples.Select(s => s.Labels["pid"]).Order());
        Assert.True(File.Exists(_dir.File("gauge_liveall_1.db")));
        Assert.True(File.Exists(_dir.File("counter_1.db")));
    }

    [Fact]
    public void MultiProcess_ANewOwnerOfTheSlotRestartsTheCpuCounterFromItsOwnTime()
    {
        using (MetricRegistry first = Metrics.NewCustomRegistry(new ChorusOptions { Directory = _dir.Path }))
        {
            // A previous owner of slot 0 that had used far more CPU than this process has.
            first.CreateCounter("process_cpu_seconds", "Total user and system CPU time spent in seconds.", new CounterConfiguration { LabelNames = ["pid"] })
                .WithLabels("0").Inc(1e6);
        }

        using MetricRegistry next = Metrics.NewCustomRegistry(new ChorusOptions { Directory = _dir.Path, ProcessMetrics = true });
        double cpu = MeterBridgeTests.Samples(MeterBridgeTests.Scrape(next))["process_cpu_seconds_total{pid=\"0\"}"];
        Assert.InRange(cpu, 1e-6, 1e5);
    }

    [Fact]
    public void OffByDefault_ForRegistriesMadeByHand()
    {
        using MetricRegistry registry = Metrics.NewCustomRegistry();
        Assert.DoesNotContain("process_cpu_seconds_total", MeterBridgeTests.Scrape(registry).Keys);
    }
}
