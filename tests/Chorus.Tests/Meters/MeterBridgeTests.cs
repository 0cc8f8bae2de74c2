using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using Chorus.Exposition;

namespace Chorus.Tests.Meters;

/// <summary>
/// Every instrument kind recorded through the bridge, in memory and in a multiprocess directory (read back by
/// the registry's merge of that directory): names, types, labels, values and buckets.
/// </summary>
public sealed class MeterBridgeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _meterName = "Chorus.Tests.Bridge." + Guid.NewGuid().ToString("N");

    public static TheoryData<bool> Modes => new() { false, true };

    public void Dispose() => _dir.Dispose();

    [Theory]
    [MemberData(nameof(Modes))]
    public void EveryInstrumentKind_IsRecordedWithSpecNamesAndTypes(bool multiProcess)
    {
        using MetricRegistry registry = Open(multiProcess, new MeterOptions().AddMeter(_meterName));
        using var meter = new Meter(_meterName);
        Counter<long> counter = meter.CreateCounter<long>("app.requests", "{request}", "Requests.");
        UpDownCounter<int> active = meter.CreateUpDownCounter<int>("app.active_requests", "{request}", "Active.");
        Gauge<double> temperature = meter.CreateGauge<double>("app.temperature", "Cel", "Temperature.");
        Histogram<double> duration = meter.CreateHistogram<double>("app.request.duration", "s", "Duration.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1, 10] });
        Histogram<long> size = meter.CreateHistogram<long>("app.response.size", "By", "Size.");
        long observedTotal = 0;
        meter.CreateObservableCounter("app.cpu.time", () => new Measurement<double>(observedTotal, new KeyValuePair<string, object?>("cpu.mode", "user")), "s", "CPU.");
        meter.CreateObservableUpDownCounter("app.queue.length", () => 7L, "{item}", "Queue.");
        meter.CreateObservableGauge("app.utilization", () => 0.25, "1", "Utilization.");

        counter.Add(2, new("http.route", "/a"), new("http.response.status_code", 200));
        counter.Add(3, new("http.response.status_code", 200), new("http.route", "/a"));
        counter.Add(1, new("http.route", "/b"), new("http.response.status_code", 500));
        counter.Add(-5, new("http.route", "/b"), new("http.response.status_code", 500));
        active.Add(3);
        active.Add(-1);
        temperature.Record(21.5, new KeyValuePair<string, object?>("room", "lab"));
        duration.Record(0.05, new KeyValuePair<string, object?>("http.route", "/a"));
        duration.Record(0.5, new KeyValuePair<string, object?>("http.route", "/a"));
        duration.Record(50, new KeyValuePair<string, object?>("http.route", "/a"));
        size.Record(300);
        observedTotal = 12;

        Dictionary<string, ParsedFamily> families = Scrape(registry);
        Dictionary<string, double> samples = Samples(families);
        string pid = multiProcess ? "pid=\"" + registry.Identity + "\"" : null!;

        Assert.Equal("counter", families["app_requests_total"].Type);
        Assert.Equal(5, samples["app_requests_total{http_response_status_code=\"200\",http_route=\"/a\"}"]);
        Assert.Equal(1, samples["app_requests_total{http_response_status_code=\"500\",http_route=\"/b\"}"]);
        Assert.Equal("Requests.", families["app_requests_total"].Help);

        Assert.Equal("gauge", families["app_active_requests"].Type);
        Assert.Equal(2, samples["app_active_requests{}"]);

        Assert.Equal("gauge", families["app_temperature_celsius"].Type);
        Assert.Equal(21.5, samples[multiProcess ? "app_temperature_celsius{" + pid + ",room=\"lab\"}" : "app_temperature_celsius{room=\"lab\"}"]);

        Assert.Equal("histogram", families["app_request_duration_seconds"].Type);
        Assert.Equal(["0.1", "1.0", "10.0", "+Inf"], families["app_request_duration_seconds"].Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).Select(s => s.Labels["le"]));
        Assert.Equal(1, samples["app_request_duration_seconds_bucket{http_route=\"/a\",le=\"0.1\"}"]);
        Assert.Equal(2, samples["app_request_duration_seconds_bucket{http_route=\"/a\",le=\"1.0\"}"]);
        Assert.Equal(3, samples["app_request_duration_seconds_count{http_route=\"/a\"}"]);
        Assert.Equal(50.55, samples["app_request_duration_seconds_sum{http_route=\"/a\"}"], 9);

        // No advice: the documented default bounds (OpenTelemetry's).
        Assert.Equal(MeterOptions.DefaultBuckets.Count + 1, families["app_response_size_bytes"].Samples.Count(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)));
        Assert.Equal(1, samples["app_response_size_bytes_bucket{le=\"500.0\"}"]);
        Assert.Equal(0, samples["app_response_size_bytes_bucket{le=\"250.0\"}"]);

        Assert.Equal("counter", families["app_cpu_time_seconds_total"].Type);
        Assert.Equal(12, samples["app_cpu_time_seconds_total{cpu_mode=\"user\"}"]);

        Assert.Equal("gauge", families["app_queue_length"].Type);
        Assert.Equal(7, samples["app_queue_length{}"]);

        Assert.Equal("gauge", families["app_utilization_ratio"].Type);
        Assert.Equal(0.25, samples[multiProcess ? "app_utilization_ratio{" + pid + "}" : "app_utilization_ratio{}"]);

        // An observable counter adds its growth: a later observation of 20 makes 20, not 32.
        observedTotal = 20;
        Assert.Equal(20, Samples(Scrape(registry))["app_cpu_time_seconds_total{cpu_mode=\"user\"}"]);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void TwoObservableCountersOfOneNameAndTags_AddUp_NeitherTakenForTheOthersRestart(bool multiProcess)
    {
        using MetricRegistry registry = Open(multiProcess, new MeterOptions().AddMeter(_meterName));
        using var meter = new Meter(_meterName);

        // Two sources of one series (two instances of a service each registering its counter): each reports its own total.
        long first = 0;
        long second = 0;
        meter.CreateObservableCounter("app.jobs", () => first, "{job}", "Jobs.");
        meter.CreateObservableCounter("app.jobs", () => second, "{job}", "Jobs.");
        for (int scrape = 1; scrape <= 3; scrape++)
        {
            first = 10 * scrape;
            second = 100 * scrape;
            Assert.Equal(110 * scrape, Samples(Scrape(registry))["app_jobs_total{}"]);
        }
    }

    [Fact]
    public void MultiProcess_WritesTheGaugeModesThatKeepTotalsRight()
    {
        using MetricRegistry registry = Open(true, new MeterOptions().AddMeter(_meterName));
        using var meter = new Meter(_meterName);
        meter.CreateCounter<long>("c").Add(1);
        meter.CreateUpDownCounter<long>("u").Add(1);
        meter.CreateGauge<long>("g").Record(1);
        meter.CreateHistogram<double>("h").Record(1);

        string id = registry.Identity!;
        Assert.True(File.Exists(_dir.File($"counter_{id}.db")));
        Assert.True(File.Exists(_dir.File($"gauge_livesum_{id}.db")));
        Assert.True(File.Exists(_dir.File($"gauge_liveall_{id}.db")));
        Assert.True(File.Exists(_dir.File($"histogram_{id}.db")));
    }

    [Fact]
    public void Views_RenameDropRebucketFilterAndChangeTheMode()
    {
        MeterOptions options = new MeterOptions()
            .AddMeter("Chorus.Tests.*")
            .AddView("app.renamed", new MeterView { Name = "app.better" })
            .AddView("app.dropped", new MeterView { Drop = true })
            .AddView("app.duration", new MeterView { Buckets = [1, 2] })
            .AddView("app.filtered", new MeterView { TagKeys = ["keep"] })
            .AddView("app.maxed", new MeterView { Mode = GaugeMode.LiveMax });
        using MetricRegistry registry = Open(true, options);
        using var meter = new Meter(_meterName);
        meter.CreateCounter<int>("app.renamed").Add(1);
        meter.CreateCounter<int>("app.dropped").Add(1);
        meter.CreateHistogram<int>("app.duration", "s", null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [5] }).Record(2);
        Counter<int> filtered = meter.CreateCounter<int>("app.filtered");
        filtered.Add(1, new("keep", "a"), new("drop", "x"));
        filtered.Add(1, new("keep", "a"), new("drop", "y"));
        filtered.Add(1, new("drop", "z"), new("keep", "b"));
        meter.CreateGauge<int>("app.maxed").Record(4);

        Dictionary<string, ParsedFamily> families = Scrape(registry);
        Dictionary<string, double> samples = Samples(families);
        Assert.Equal(1, samples["app_better_total{}"]);
        Assert.DoesNotContain("app_renamed", families.Keys);
        Assert.DoesNotContain("app_dropped", families.Keys);
        Assert.Equal(["1.0", "2.0", "+Inf"], families["app_duration_seconds"].Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).Select(s => s.Labels["le"]));
        Assert.Equal(2, samples["app_filtered_total{keep=\"a\"}"]);
        Assert.Equal(1, samples["app_filtered_total{keep=\"b\"}"]);
        Assert.Equal(4, samples["app_maxed{}"]);
        Assert.True(File.Exists(_dir.File($"gauge_livemax_{registry.Identity}.db")));
    }

    [Fact]
    public void NothingIsRecordedByDefault_AndOnlyNamedMetersAre()
    {
        using MetricRegistry registry = Open(false, new MeterOptions().AddMeter(_meterName));
        using var other = new Meter(_meterName + ".other");
        using var near = new Meter(_meterName + "x");
        other.CreateCounter<int>("other.count").Add(1);
        near.CreateCounter<int>("near.count").Add(1);
        Assert.Throws<ArgumentException>(() => registry.ListenToMeters(new MeterOptions()));
        Assert.Empty(Scrape(registry));
    }

    [Fact]
    public void Wildcards_MatchMetersCreatedBeforeAndAfterTheListenerStarts()
    {
        using var before = new Meter(_meterName + ".Before");
        Counter<int> early = before.CreateCounter<int>("early");
        using MetricRegistry registry = Open(false, new MeterOptions().AddMeter(_meterName + ".*"));
        using var after = new Meter(_meterName + ".After");
        early.Add(1);
        after.CreateCounter<int>("late").Add(2);

        Dictionary<string, double> samples = Samples(Scrape(registry));
        Assert.Equal(1, samples["early_total{}"]);
        Assert.Equal(2, samples["late_total{}"]);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void DisposedMeter_StopsRecording_GaugesVanish_CountersStay(bool multiProcess)
    {
        using MetricRegistry registry = Open(multiProcess, new MeterOptions().AddMeter(_meterName));
        var meter = new Meter(_meterName);
        Counter<int> counter = meter.CreateCounter<int>("done");
        meter.CreateUpDownCounter<int>("inflight").Add(3);
        meter.CreateObservableGauge("level", () => 5);
        counter.Add(4);
        Assert.Contains("level", Scrape(registry).Keys);

        meter.Dispose();
        counter.Add(100);

        Dictionary<string, ParsedFamily> families = Scrape(registry);
        Assert.Equal(4, Samples(families)["done_total{}"]);
        Assert.DoesNotContain(families.Values, f => f.Name is "inflight" or "level" && f.Samples.Count > 0);

        // A meter of the same name created again records into the same families.
        using var again = new Meter(_meterName);
        again.CreateCounter<int>("done").Add(1);
        again.CreateUpDownCounter<int>("inflight").Add(1);
        Dictionary<string, double> samples = Samples(Scrape(registry));
        Assert.Equal(5, samples["done_total{}"]);
        Assert.Equal(1, samples["inflight{}"]);
    }

    [Fact]
    public void ConflictingInstrument_IsSkipped_NotThrownIntoTheApplication()
    {
        using MetricRegistry registry = Open(false, new MeterOptions().AddMeter(_meterName));
        registry.CreateGauge("taken", "The application's own.").Set(9);
        using var meter = new Meter(_meterName);
        Counter<int> counter = meter.CreateCounter<int>("taken");
        counter.Add(1);
        Dictionary<string, ParsedFamily> families = Scrape(registry);
        Assert.Equal("gauge", families["taken"].Type);
        Assert.Equal(9, Assert.Single(families["taken"].Samples).Value);
    }

    [Fact]
    public void TagValues_AreEscapedAndFormattedInvariantly()
    {
        using MetricRegistry registry = Open(false, new MeterOptions().AddMeter(_meterName));
        using var meter = new Meter(_meterName);
        meter.CreateCounter<int>("tags").Add(1, new("text", "a\"b\\c\nd"), new("flag", true), new("ratio", 0.5), new("a.b", "x"), new("a-b", "y"));
        var buffer = new ArrayBufferWriter<byte>();
        registry.Collect(buffer, ExpositionFormat.PrometheusText);
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Contains("tags_total{a_b=\"y;x\",flag=\"true\",ratio=\"0.5\",text=\"a\\\"b\\\\c\\nd\"} 1.0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void EqualTagsInOtherStringInstances_AndOtherOrders_RecordIntoOneSeries()
    {
        using MetricRegistry registry = Open(false, new MeterOptions().AddMeter(_meterName));
        using var meter = new Meter(_meterName);
        Counter<int> counter = meter.CreateCounter<int>("instances");
        for (int i = 0; i < 20; i++)
        {
            // Fresh key and value strings each time, as code that builds its tags at run time has.
            string key = new(['r', 'o', 'u', 't', 'e']);
            string value = "/" + (i % 2 == 0 ? "a" : "a");
            counter.Add(1, new(key, value), new(new string(['m']), 1));
            counter.Add(1, new("m", 1), new("route", "/a"));
        }

        Assert.Equal(40, Assert.Single(Scrape(registry)["instances_total"].Samples).Value);
    }

    [Fact]
    public void ChorusOptions_AddMeter_StartsTheBridgeWithTheRegistry()
    {
        var options = new ChorusOptions().AddMeter(_meterName);
        using (MetricRegistry registry = Metrics.NewCustomRegistry(options))
        {
            using var meter = new Meter(_meterName);
            meter.CreateCounter<int>("via.options").Add(1);
            Assert.Equal(1, Samples(Scrape(registry))["via_options_total{}"]);
        }
    }

    internal static Dictionary<string, ParsedFamily> Scrape(MetricRegistry registry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        registry.Collect(buffer, ExpositionFormat.PrometheusText);
        return ExpositionParser.Parse(Encoding.UTF8.GetString(buffer.WrittenSpan)).ToDictionary(f => f.Name);
    }

    internal static Dictionary<string, double> Samples(Dictionary<string, ParsedFamily> families) =>
        families.Values.SelectMany(f => f.Samples).ToDictionary(s => s.Key, s => s.Value);

    private MetricRegistry Open(bool multiProcess, MeterOptions meters)
    {
        MetricRegistry registry = Metrics.NewCustomRegistry(multiProcess ? new ChorusOptions { Directory = _dir.Path } : null);
        registry.ListenToMeters(meters);
        return registry;
    }
}
