using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Prom = Prometheus;

namespace Chorus.Benchmarks;

/// <summary>
/// Record paths: Chorus multiprocess (CAS on a mapped .db file) vs Chorus in-process vs prometheus-net 8.2.1,
/// on 1 and 2 threads. Every method does <see cref="Operations"/> operations per thread; results are per operation.
/// Run: <c>dotnet run -c Release --project bench/Chorus.Benchmarks -- --filter '*WritePath*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class WritePathBenchmarks : IDisposable
{
    private const int Operations = 100_000;
    private static readonly string[] s_labels = ["GET", "200"];

    private string _directory = string.Empty;
    private MetricRegistry _shared = null!;
    private MetricRegistry _memory = null!;
    private Counter _sharedCounter = null!, _memoryCounter = null!;
    private Counter _sharedLabelled = null!, _memoryLabelled = null!;
    private Counter.Child _sharedChild = null!, _memoryChild = null!;
    private Gauge _sharedGauge = null!, _memoryGauge = null!;
    private Histogram _sharedHistogram = null!, _memoryHistogram = null!;
    private Prom.Counter _promCounter = null!, _promLabelled = null!;
    private Prom.Counter.Child _promChild = null!;
    private Prom.Gauge _promGauge = null!;
    private Prom.Histogram _promHistogram = null!;

    /// <summary>Threads recording at once.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("chorus-bench-").FullName;
        _shared = Metrics.NewCustomRegistry(new ChorusOptions { Directory = _directory });
        _memory = Metrics.NewCustomRegistry();
        (_sharedCounter, _sharedLabelled, _sharedChild, _sharedGauge, _sharedHistogram) = Create(_shared);
        (_memoryCounter, _memoryLabelled, _memoryChild, _memoryGauge, _memoryHistogram) = Create(_memory);

        var factory = Prom.Metrics.WithCustomRegistry(Prom.Metrics.NewCustomRegistry());
        _promCounter = factory.CreateCounter("bench_ops_total", "Ops.");
        _promLabelled = factory.CreateCounter("bench_requests_total", "Requests.", new Prom.CounterConfiguration { LabelNames = ["method", "code"] });
        _promChild = _promLabelled.WithLabels(s_labels);
        _promGauge = factory.CreateGauge("bench_gauge", "Gauge.");
        _promHistogram = factory.CreateHistogram("bench_seconds", "Latency.", new Prom.HistogramConfiguration { Buckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0] });
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _shared?.Dispose();
        _memory?.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [BenchmarkCategory("Counter.Inc"), Benchmark(OperationsPerInvoke = Operations)]
    public void CounterInc_ChorusMultiProcess() => Run(default(CounterInc_ChorusMultiProcessOp));

    [BenchmarkCategory("Counter.Inc"), Benchmark(OperationsPerInvoke = Operations)]
    public void CounterInc_ChorusInProcess() => Run(default(CounterInc_ChorusInProcessOp));

    [BenchmarkCategory("Counter.Inc"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void CounterInc_PrometheusNet() => Run(default(CounterInc_PrometheusNetOp));

    [BenchmarkCategory("Child.Inc"), Benchmark(OperationsPerInvoke = Operations)]
    public void ChildInc_ChorusMultiProcess() => Run(default(ChildInc_ChorusMultiProcessOp));

    [BenchmarkCategory("Child.Inc"), Benchmark(OperationsPerInvoke = Operations)]
    public void ChildInc_ChorusInProcess() => Run(default(ChildInc_ChorusInProcessOp));

    [BenchmarkCategory("Child.Inc"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void ChildInc_PrometheusNet() => Run(default(ChildInc_PrometheusNetOp));

    [BenchmarkCategory("WithLabels"), Benchmark(OperationsPerInvoke = Operations)]
    public void WithLabels_ChorusMultiProcess() => Run(default(WithLabels_ChorusMultiProcessOp));

    [BenchmarkCategory("WithLabels"), Benchmark(OperationsPerInvoke = Operations)]
    public void WithLabels_ChorusInProcess() => Run(default(WithLabels_ChorusInProcessOp));

    [BenchmarkCategory("WithLabels"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void WithLabels_PrometheusNet() => Run(default(WithLabels_PrometheusNetOp));

    [BenchmarkCategory("Gauge.Set"), Benchmark(OperationsPerInvoke = Operations)]
    public void GaugeSet_ChorusMultiProcess() => Run(default(GaugeSet_ChorusMultiProcessOp));

    [BenchmarkCategory("Gauge.Set"), Benchmark(OperationsPerInvoke = Operations)]
    public void GaugeSet_ChorusInProcess() => Run(default(GaugeSet_ChorusInProcessOp));

    [BenchmarkCategory("Gauge.Set"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void GaugeSet_PrometheusNet() => Run(default(GaugeSet_PrometheusNetOp));

    [BenchmarkCategory("Histogram.Observe"), Benchmark(OperationsPerInvoke = Operations)]
    public void HistogramObserve_ChorusMultiProcess() => Run(default(HistogramObserve_ChorusMultiProcessOp));

    [BenchmarkCategory("Histogram.Observe"), Benchmark(OperationsPerInvoke = Operations)]
    public void HistogramObserve_ChorusInProcess() => Run(default(HistogramObserve_ChorusInProcessOp));

    [BenchmarkCategory("Histogram.Observe"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void HistogramObserve_PrometheusNet() => Run(default(HistogramObserve_PrometheusNetOp));

    private static (Counter, Counter, Counter.Child, Gauge, Histogram) Create(MetricRegistry registry)
    {
        Counter labelled = registry.CreateCounter("bench_requests_total", "Requests.", new CounterConfiguration { LabelNames = ["method", "code"] });
        return (
            registry.CreateCounter("bench_ops_total", "Ops."),
            labelled,
            labelled.WithLabels(s_labels),
            registry.CreateGauge("bench_gauge", "Gauge.", new GaugeConfiguration { Mode = GaugeMode.LiveSum }),
            registry.CreateHistogram("bench_seconds", "Latency."));
    }

    // Struct operations let the JIT specialise and inline each loop, so only the recording call is measured.
    private interface IOperation
    {
        void Invoke(WritePathBenchmarks b);
    }

    private readonly struct CounterInc_ChorusMultiProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._sharedCounter.Inc();
    }

    private readonly struct CounterInc_ChorusInProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._memoryCounter.Inc();
    }

    private readonly struct CounterInc_PrometheusNetOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._promCounter.Inc();
    }

    private readonly struct ChildInc_ChorusMultiProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._sharedChild.Inc();
    }

    private readonly struct ChildInc_ChorusInProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._memoryChild.Inc();
    }

    private readonly struct ChildInc_PrometheusNetOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._promChild.Inc();
    }

    private readonly struct WithLabels_ChorusMultiProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._sharedLabelled.WithLabels(s_labels.AsSpan()).Inc();
    }

    private readonly struct WithLabels_ChorusInProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._memoryLabelled.WithLabels(s_labels.AsSpan()).Inc();
    }

    private readonly struct WithLabels_PrometheusNetOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._promLabelled.WithLabels(s_labels.AsSpan()).Inc();
    }

    private readonly struct GaugeSet_ChorusMultiProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._sharedGauge.Set(42);
    }

    private readonly struct GaugeSet_ChorusInProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._memoryGauge.Set(42);
    }

    private readonly struct GaugeSet_PrometheusNetOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._promGauge.Set(42);
    }

    private readonly struct HistogramObserve_ChorusMultiProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._sharedHistogram.Observe(0.2);
    }

    private readonly struct HistogramObserve_ChorusInProcessOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._memoryHistogram.Observe(0.2);
    }

    private readonly struct HistogramObserve_PrometheusNetOp : IOperation
    {
        public void Invoke(WritePathBenchmarks b) => b._promHistogram.Observe(0.2);
    }

    // One thread runs inline; two threads share the same number of operations.
    private void Run<TOperation>(TOperation operation)
        where TOperation : struct, IOperation
    {
        if (Threads == 1)
        {
            for (int i = 0; i < Operations; i++)
            {
                operation.Invoke(this);
            }

            return;
        }

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (int i = 0; i < Operations / Threads; i++)
            {
                operation.Invoke(this);
            }
        });
    }
}
