using Chorus.Exposition;
using Chorus.Tests.Support;

namespace Chorus.Tests.Instruments;

public sealed class MetricApiTests
{
    private readonly MetricRegistry _registry = Chorus.Metrics.NewCustomRegistry();

    private static Dictionary<string, double> Samples(Collector collector)
    {
        var samples = new List<CollectedSample>();
        collector.Collect(samples);
        return samples.ToDictionary(
            s => s.Name + "{" + string.Join(",", s.LabelNames.Zip(s.LabelValues, (n, v) => $"{n}={v}")) + "}",
            s => s.Value);
    }

    [Fact]
    public void Counter_NamingFollowsPrometheusClient()
    {
        Counter counter = _registry.CreateCounter("requests_total", "R.", new CounterConfiguration { Namespace = "ns", Subsystem = "web", Unit = "bytes" });
        Assert.Equal("ns_web_requests_bytes", counter.Name);
        counter.Inc(3);
        Assert.Equal(3, Samples(counter)["ns_web_requests_bytes_total{}"]);

        Assert.Equal("latency_seconds", _registry.CreateGauge("latency_seconds", "L.", new GaugeConfiguration { Unit = "seconds" }).Name);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Counter_RejectsNegativeAndNonFiniteIncrements(double increment)
    {
        Counter counter = _registry.CreateCounter("c", "C.");
        Assert.Throws<ArgumentOutOfRangeException>(() => counter.Inc(increment));
        Assert.Equal(0, counter.Value);
    }

    [Fact]
    public void Counter_IncToNeverLowers()
    {
        Counter counter = _registry.CreateCounter("c", "C.");
        counter.IncTo(5);
        counter.IncTo(3);
        Assert.Equal(5, counter.Value);
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("a-b")]
    [InlineData("")]
    [InlineData("é")]
    public void InvalidMetricNames_AreRejected(string name)
    {
        Assert.ThrowsAny<ArgumentException>(() => _registry.CreateCounter(name, "H."));
    }

    [Theory]
    [InlineData("__reserved")]
    [InlineData("1x")]
    [InlineData("a:b")]
    public void InvalidLabelNames_AreRejected(string label)
    {
        Assert.Throws<ArgumentException>(() => _registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = [label] }));
    }

    [Fact]
    public void ReservedLabels_PerType()
    {
        Assert.Throws<ArgumentException>(() => _registry.CreateHistogram("h", "H.", new HistogramConfiguration { LabelNames = ["le"] }));
        Assert.Throws<ArgumentException>(() => _registry.CreateSummary("s", "S.", new SummaryConfiguration { LabelNames = ["quantile"] }));
        Assert.Throws<ArgumentException>(() => _registry.CreateCounter("d", "D.", new CounterConfiguration { LabelNames = ["a", "a"] }));
    }

    [Fact]
    public void WrongLabelCount_SaysWhatWasExpected()
    {
        Counter counter = _registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["method", "code"] });
        var error = Assert.Throws<ArgumentException>(() => counter.WithLabels("GET"));
        Assert.Contains("method, code", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => counter.WithLabels("GET", null!));
        Assert.Throws<InvalidOperationException>(() => counter.Inc());
    }

    [Fact]
    public void SameMetricTwice_ReturnsFirst_DifferentShapeThrows()
    {
        Counter a = _registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["x"] });
        Assert.Same(a, _registry.CreateCounter("c_total", "C.", new CounterConfiguration { LabelNames = ["x"] }));
        Assert.Throws<ArgumentException>(() => _registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["y"] }));
        Assert.Throws<ArgumentException>(() => _registry.CreateGauge("c", "C."));
    }

    [Fact]
    public void WithLabels_SpanOverload_AllocatesNothingOnHit()
    {
        Counter counter = _registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["a", "b"] });
        counter.WithLabels("x", "y").Inc();
        string[] values = ["x", "y"];
        Counter.Child child = counter.WithLabels(values.AsSpan());
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            child = counter.WithLabels(values.AsSpan());
            child.Inc();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1001, child.Value);
    }

    [Fact]
    public void WithLabels_LiteralArguments_BindToSpanOverload_AndAllocateNothing()
    {
        Counter counter = _registry.CreateCounter("lit", "L.", new CounterConfiguration { LabelNames = ["a", "b"] });
        counter.WithLabels("x", "y").Inc();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            counter.WithLabels("x", "y").Inc();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1001, counter.WithLabels("x", "y").Value);
    }

    [Fact]
    public void Gauge_IncDecSetTrack()
    {
        Gauge gauge = _registry.CreateGauge("g", "G.");
        gauge.Inc(5);
        gauge.Dec(2);
        Assert.Equal(3, gauge.Value);
        using (gauge.TrackInProgress())
        {
            Assert.Equal(4, gauge.Value);
        }

        Assert.Equal(3, gauge.Value);
        gauge.Set(double.NaN);
        Assert.True(double.IsNaN(gauge.Value));
        gauge.SetToCurrentTime();
        Assert.InRange(gauge.Value, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
    }

    [Theory]
    [InlineData(GaugeMode.MostRecent)]
    [InlineData(GaugeMode.LiveMostRecent)]
    public void Gauge_MostRecentModes_ForbidIncAndDec(GaugeMode mode)
    {
        Gauge gauge = _registry.CreateGauge("g", "G.", new GaugeConfiguration { Mode = mode });
        Assert.Throws<InvalidOperationException>(() => gauge.Inc());
        Assert.Throws<InvalidOperationException>(() => gauge.Dec());
        gauge.Set(2);
        Assert.Equal(2, gauge.Value);
    }

    [Fact]
    public void Histogram_DefaultBucketsCumulativeCountAndSum()
    {
        Histogram histogram = _registry.CreateHistogram("h", "H.");
        Assert.Equal(15, histogram.Buckets.Count);
        histogram.Observe(0.3);
        histogram.Observe(7);
        histogram.Observe(100);
        Dictionary<string, double> samples = Samples(histogram);
        Assert.Equal(0, samples["h_bucket{le=0.25}"]);
        Assert.Equal(1, samples["h_bucket{le=0.5}"]);
        Assert.Equal(2, samples["h_bucket{le=7.5}"]);
        Assert.Equal(3, samples["h_bucket{le=+Inf}"]);
        Assert.Equal(3, samples["h_count{}"]);
        Assert.Equal(107.3, samples["h_sum{}"], 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.Observe(double.NaN));
    }

    [Fact]
    public void Histogram_BucketHelpersAndValidation()
    {
        Assert.Equal([1.0, 3.0, 5.0], Histogram.LinearBuckets(1, 2, 3));
        Assert.Equal([1.0, 10.0, 100.0], Histogram.ExponentialBuckets(1, 10, 3));
        Assert.Throws<ArgumentException>(() => _registry.CreateHistogram("bad", "B.", new HistogramConfiguration { Buckets = [2, 1] }));
        Histogram longList = _registry.CreateHistogram("long", "L.", new HistogramConfiguration { Buckets = Histogram.LinearBuckets(0, 1, 40) });
        longList.Observe(17.5);
        Assert.Equal(1, Samples(longList)["long_bucket{le=18.0}"] - Samples(longList)["long_bucket{le=17.0}"]);
        using (longList.NewTimer())
        {
        }

        Assert.Equal(2, Samples(longList)["long_count{}"]);
    }

    [Fact]
    public void Summary_CountsAndSums()
    {
        Summary summary = _registry.CreateSummary("s", "S.");
        summary.Observe(2);
        summary.Observe(3);
        Assert.Equal(2, Samples(summary)["s_count{}"]);
        Assert.Equal(5, Samples(summary)["s_sum{}"]);
    }

    [Fact]
    public void Info_SetReplacesFacts()
    {
        Info info = _registry.CreateInfo("build", "B.");
        info.Set(new Dictionary<string, string> { ["version"] = "1.0" });
        info.Set(new Dictionary<string, string> { ["version"] = "2.0", ["commit"] = "abc" });
        Assert.Equal(1, Assert.Single(Samples(info), s => s.Key == "build_info{commit=abc,version=2.0}").Value);
        Assert.Throws<ArgumentException>(() => info.Set(new Dictionary<string, string> { ["bad-name"] = "x" }));
    }

    [Fact]
    public void Enum_OneStateAtATime()
    {
        EnumMetric state = _registry.CreateEnum("task_state", "T.", new EnumConfiguration { States = ["starting", "running", "stopped"] });
        Assert.Equal(1, Samples(state)["task_state{task_state=starting}"]);
        state.State("running");
        Dictionary<string, double> samples = Samples(state);
        Assert.Equal(0, samples["task_state{task_state=starting}"]);
        Assert.Equal(1, samples["task_state{task_state=running}"]);
        Assert.Throws<ArgumentException>(() => state.State("flying"));
        Assert.Throws<ArgumentException>(() => _registry.CreateEnum("e", "E.", new EnumConfiguration()));
        Assert.Throws<ArgumentException>(() => _registry.CreateEnum("u", "U.", new EnumConfiguration { States = ["a"], Unit = "seconds" }));
    }

    [Fact]
    public void RemoveAndClear_DropSeriesInProcess()
    {
        Counter counter = _registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["k"] });
        counter.WithLabels("a").Inc();
        counter.WithLabels("b").Inc();
        Assert.True(counter.Remove("a"));
        Assert.Equal(["c_total{k=b}"], Samples(counter).Keys);
        counter.Clear();
        Assert.Empty(Samples(counter));
        Assert.Equal(0, counter.WithLabels("a").Value);
    }

    [Fact]
    public void MultiProcess_ReservesPidOnGauges_AndMostRecentNeedsTimestamps()
    {
        using var dir = new TempDirectory();
        using MetricRegistry registry = Chorus.Metrics.NewCustomRegistry(new ChorusOptions { Directory = dir.Path, ValueLayout = ValueLayout.Value8 });
        Assert.Throws<ArgumentException>(() => registry.CreateGauge("g", "G.", new GaugeConfiguration { LabelNames = ["pid"] }));
        var error = Assert.Throws<ArgumentException>(() => registry.CreateGauge("m", "M.", new GaugeConfiguration { Mode = GaugeMode.MostRecent }));
        Assert.Contains("16-byte", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.005, "0.005")]
    [InlineData(1.0, "1.0")]
    [InlineData(10.0, "10.0")]
    [InlineData(1e6, "1e+06")]
    [InlineData(123456.0, "123456.0")]
    [InlineData(1e10, "1e+10")]
    [InlineData(2.5e-5, "2.5e-05")]
    [InlineData(-3.0, "-3.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1.5e300, "1.5e+300")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void LeLabel_MatchesPythonFloatToGoString(double value, string expected)
    {
        Assert.Equal(expected, GoFloat.ToString(value));
    }
}
