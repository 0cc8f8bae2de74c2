using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Prom = Prometheus;

namespace Chorus.Benchmarks;

/// <summary>
/// Cost per System.Diagnostics.Metrics measurement through three listeners, each on a meter of its own:
/// the Chorus bridge in multiprocess mode (values in a mapped <c>.db</c> file), the OpenTelemetry SDK (with its
/// Prometheus exporter as the reader) and prometheus-net 8.2.1's <c>MeterAdapter</c>.
/// <c>Counter&lt;long&gt;.Add</c> with 2 tags and <c>Histogram&lt;double&gt;.Record</c> with 3 tags; the tag
/// values are boxed once, as ASP.NET Core does, so any allocation shown is the listener's.
/// Run: <c>dotnet bench/Chorus.Benchmarks/bin/Release/net10.0/Chorus.Benchmarks.dll --filter '*MeterBridge*' --job short --inProcess</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class MeterBridgeBenchmarks : IDisposable
{
    private const int Operations = 10_000;

    private static readonly KeyValuePair<string, object?> s_method = new("http.request.method", "GET");
    private static readonly KeyValuePair<string, object?> s_status = new("http.response.status_code", (object)200);
    private static readonly KeyValuePair<string, object?> s_route = new("http.route", "/items/{id}");

    private string _directory = string.Empty;
    private MetricRegistry _registry = null!;
    private MeterProvider _openTelemetry = null!;
    private IDisposable _prometheusNet = null!;
    private Meter _chorusMeter = null!, _otelMeter = null!, _promMeter = null!;
    private Counter<long> _chorusCounter = null!, _otelCounter = null!, _promCounter = null!;
    private Histogram<double> _chorusHistogram = null!, _otelHistogram = null!, _promHistogram = null!;

    [GlobalSetup]
    public void Setup()
    {
        string id = Guid.NewGuid().ToString("N");
        _directory = Directory.CreateTempSubdirectory("chorus-bench-").FullName;
        _registry = Metrics.NewCustomRegistry(new ChorusOptions { Directory = _directory }.AddMeter("Bench.Chorus." + id));
        _openTelemetry = Sdk.CreateMeterProviderBuilder().AddMeter("Bench.OpenTelemetry." + id).AddPrometheusExporter().Build();
        _prometheusNet = Prom.MeterAdapter.StartListening(new Prom.MeterAdapterOptions
        {
            InstrumentFilterPredicate = instrument => instrument.Meter.Name == "Bench.PrometheusNet." + id,
            Registry = Prom.Metrics.NewCustomRegistry(),
        });

        (_chorusMeter, _chorusCounter, _chorusHistogram) = Create("Bench.Chorus." + id);
        (_otelMeter, _otelCounter, _otelHistogram) = Create("Bench.OpenTelemetry." + id);
        (_promMeter, _promCounter, _promHistogram) = Create("Bench.PrometheusNet." + id);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _chorusMeter?.Dispose();
        _otelMeter?.Dispose();
        _promMeter?.Dispose();
        _prometheusNet?.Dispose();
        _openTelemetry?.Dispose();
        _registry?.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [BenchmarkCategory("Counter<long>.Add, 2 tags"), Benchmark(OperationsPerInvoke = Operations)]
    public void CounterAdd_ChorusMultiProcess() => Add(_chorusCounter);

    [BenchmarkCategory("Counter<long>.Add, 2 tags"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void CounterAdd_OpenTelemetry() => Add(_otelCounter);

    [BenchmarkCategory("Counter<long>.Add, 2 tags"), Benchmark(OperationsPerInvoke = Operations)]
    public void CounterAdd_PrometheusNetMeterAdapter() => Add(_promCounter);

    [BenchmarkCategory("Histogram<double>.Record, 3 tags"), Benchmark(OperationsPerInvoke = Operations)]
    public void HistogramRecord_ChorusMultiProcess() => Record(_chorusHistogram);

    [BenchmarkCategory("Histogram<double>.Record, 3 tags"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void HistogramRecord_OpenTelemetry() => Record(_otelHistogram);

    [BenchmarkCategory("Histogram<double>.Record, 3 tags"), Benchmark(OperationsPerInvoke = Operations)]
    public void HistogramRecord_PrometheusNetMeterAdapter() => Record(_promHistogram);

    private static (Meter, Counter<long>, Histogram<double>) Create(string name)
    {
        var meter = new Meter(name);
        Histogram<double> histogram = meter.CreateHistogram<double>("http.server.request.duration", "s", null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });
        return (meter, meter.CreateCounter<long>("http.server.requests", "{request}"), histogram);
    }

    private static void Add(Counter<long> counter)
    {
        for (int i = 0; i < Operations; i++)
        {
            counter.Add(1, s_method, s_status);
        }
    }

    private static void Record(Histogram<double> histogram)
    {
        for (int i = 0; i < Operations; i++)
        {
            histogram.Record(0.042, s_method, s_status, s_route);
        }
    }
}
