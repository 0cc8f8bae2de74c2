using System.Buffers;
using System.Text;
using Chorus.Aggregation;
using Chorus.Exposition;
using Chorus.Tests.Support;

namespace Chorus.Tests.Storage;

/// <summary>What the Chorus reader shows for removals and for info/enum metrics written by Chorus writers.</summary>
public sealed class RemovalAndTypesThroughReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private MetricRegistry Open() => Chorus.Metrics.NewCustomRegistry(new ChorusOptions { Directory = _dir.Path });

    private static List<string> SampleKeys(MultiProcessDirectory reader, string family) =>
        [.. reader.CollectFamilies().Where(f => f.Name == family).SelectMany(f => f.Samples).Select(s => $"{s.Name}{s.Labels}={s.Value}")];

    [Fact]
    public void RemovedSeries_DisappearsOnlyWhenNoLiveProcessHoldsIt()
    {
        using MetricRegistry a = Open();
        using MetricRegistry b = Open();
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(_dir.Path);
        var config = new CounterConfiguration { LabelNames = ["k"] };
        a.CreateCounter("c", "C.", config).WithLabels("x").Inc(2);
        b.CreateCounter("c", "C.", config).WithLabels("x").Inc(3);
        a.CreateCounter("c", "C.", config).WithLabels("y").Inc(1);
        Assert.Equal(["c_total{k=\"x\"}=5", "c_total{k=\"y\"}=1"], SampleKeys(reader, "c"));

        a.CreateCounter("c", "C.", config).Remove("x");
        Assert.Equal(["c_total{k=\"x\"}=3", "c_total{k=\"y\"}=1"], SampleKeys(reader, "c"));

        b.CreateCounter("c", "C.", config).Clear();
        Assert.Equal(["c_total{k=\"y\"}=1"], SampleKeys(reader, "c"));

        a.CreateCounter("c", "C.", config).WithLabels("x").Inc();
        Assert.Equal(["c_total{k=\"x\"}=1", "c_total{k=\"y\"}=1"], SampleKeys(reader, "c"));
    }

    [Fact]
    public void DisposedRegistry_StrayUseDoesNotCrash()
    {
        MetricRegistry registry = Open();
        Counter counter = registry.CreateCounter("c", "C.");
        registry.Dispose();
        counter.Inc();
        Assert.Equal(1, counter.Value);
        Assert.Throws<ObjectDisposedException>(() => registry.CreateCounter("d", "D.").Inc());
    }

    [Fact]
    public void HistogramRemoval_RemovesAllItsBuckets()
    {
        using MetricRegistry a = Open();
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(_dir.Path);
        Histogram h = a.CreateHistogram("h", "H.", new HistogramConfiguration { LabelNames = ["r"], Buckets = [1] });
        h.WithLabels("gone").Observe(0.5);
        h.WithLabels("kept").Observe(2);
        h.Remove("gone");
        Assert.All(SampleKeys(reader, "h"), s => Assert.Contains("kept", s, StringComparison.Ordinal));
        Assert.Equal(4, SampleKeys(reader, "h").Count);
    }

    [Fact]
    public void InfoAndEnum_AreReadBackAsInfoAndStateSet()
    {
        using MetricRegistry a = Open();
        using MetricRegistry b = Open();
        a.CreateInfo("build", "B.").Set(new Dictionary<string, string> { ["version"] = "1" });
        b.CreateInfo("build", "B.").Set(new Dictionary<string, string> { ["version"] = "1" });
        a.CreateEnum("phase", "P.", new EnumConfiguration { States = ["idle", "busy"] }).State("busy");
        b.CreateEnum("phase", "P.", new EnumConfiguration { States = ["idle", "busy"] });
        a.CreateGauge("plain", "G.", new GaugeConfiguration { Mode = Chorus.GaugeMode.Max }).Set(1);

        using MultiProcessDirectory reader = MultiProcessDirectory.Open(_dir.Path);
        IReadOnlyList<MetricFamily> families = reader.CollectFamilies();
        Assert.Equal(MetricType.Info, families.Single(f => f.Name == "build").Type);
        Assert.Equal(MetricType.StateSet, families.Single(f => f.Name == "phase").Type);
        Assert.Equal(MetricType.Gauge, families.Single(f => f.Name == "plain").Type);
        Assert.Equal(["build_info{version=\"1\"}=1"], SampleKeys(reader, "build"));
        Assert.Equal(["phase{phase=\"busy\"}=1", "phase{phase=\"idle\"}=1"], SampleKeys(reader, "phase"));

        var buffer = new ArrayBufferWriter<byte>();
        reader.Collect(buffer, ExpositionFormat.OpenMetrics);
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Contains("# TYPE build info\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE phase stateset\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void InfoChange_RemovesOldFacts()
    {
        using MetricRegistry a = Open();
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(_dir.Path);
        Info info = a.CreateInfo("build", "B.");
        info.Set(new Dictionary<string, string> { ["version"] = "1" });
        info.Set(new Dictionary<string, string> { ["version"] = "2" });
        Assert.Equal(["build_info{version=\"2\"}=1"], SampleKeys(reader, "build"));
    }

    [Fact]
    public void Registry_CollectsInProcessAndMultiProcess()
    {
        using MetricRegistry memory = Chorus.Metrics.NewCustomRegistry();
        memory.CreateCounter("c_total", "C.").Inc(2);
        memory.CreateInfo("i", "I.").Set(new Dictionary<string, string> { ["a"] = "b" });
        var buffer = new ArrayBufferWriter<byte>();
        memory.Collect(buffer, ExpositionFormat.PrometheusText);
        List<ParsedFamily> parsed = ExpositionParser.Parse(Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(2, parsed.Single(f => f.Name == "c_total").Samples.Single().Value);
        Assert.Equal("gauge", parsed.Single(f => f.Name == "i_info").Type);

        using MetricRegistry shared = Open();
        using MetricRegistry other = Open();
        shared.CreateCounter("c_total", "C.").Inc(2);
        other.CreateCounter("c_total", "C.").Inc(5);
        buffer.Clear();
        shared.Collect(buffer, ExpositionFormat.PrometheusText);
        Assert.Contains("c_total 7.0\n", Encoding.UTF8.GetString(buffer.WrittenSpan), StringComparison.Ordinal);
    }
}
