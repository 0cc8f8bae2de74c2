using System.Buffers;
using System.Text;
using Chorus.Exposition;
using Chorus.Tests.Support;
using FsCheck.Xunit;

namespace Chorus.Tests.Exposition;

public class ExpositionWriterTests
{
    [Theory]
    [InlineData(ExpositionFormat.PrometheusText, "AllTypes.prom.txt")]
    [InlineData(ExpositionFormat.OpenMetrics, "AllTypes.om.txt")]
    public void AllTypes_MatchGoldenFile(ExpositionFormat format, string golden)
    {
        Golden.Verify(golden, Write(AllTypes(), format));
    }

    [Fact]
    public void PrometheusText_IsAcceptedByPromtool()
    {
        Promtool.AssertValid(Write(AllTypes(), ExpositionFormat.PrometheusText));
    }

    [Fact]
    public void OpenMetrics_CounterFamilyHasNoTotalSuffixAndEndsWithEof()
    {
        var counter = new MetricFamily("jobs", MetricType.Counter, "Jobs.");
        counter.SampleList.Add(new Sample("jobs_total", LabelSet.Empty, 3));

        Assert.Equal("# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 3.0\n# EOF\n", Write([counter], ExpositionFormat.OpenMetrics));
        Assert.Equal("# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 3.0\n", Write([counter], ExpositionFormat.PrometheusText));
    }

    [Property(MaxTest = 300)]
    public bool LabelValueEscaping_MatchesNaiveReference(string value)
    {
        value ??= string.Empty;
        string naive = "k=\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
        return Encoding.UTF8.GetString(LabelSet.Create(["k"], [value]).RenderedUtf8(EscapingScheme.Underscores)) == naive;
    }

    [Property(MaxTest = 300)]
    public bool LabelsWrittenIntoTheOutput_AreTheRenderedBytes(string first, string second, bool nonClassicName)
    {
        // Any text, lone surrogates and the escaped characters included; a name outside the classic set takes the cached path.
        LabelSet labels = LabelSet.Create([nonClassicName ? "a.b" : "a", "b"], [first ?? string.Empty, second ?? "\\\"\n\ud800x"]);
        foreach (EscapingScheme escaping in Enum.GetValues<EscapingScheme>())
        {
            var written = new byte[LabelBytes.MaxLength(labels, escaping)];
            int length = LabelBytes.Write(labels, written, escaping);
            if (!written.AsSpan(0, length).SequenceEqual(labels.RenderedUtf8(escaping)))
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void LabelSetsOfClassicNames_KeepNoRenderingOfTheirOwn()
    {
        // A reader keeps each family's rendered bytes; a copy per label set besides was 18 MiB of a big host's heap.
        var family = new MetricFamily("g", MetricType.Gauge, "help");
        for (int i = 0; i < 2_000; i++)
        {
            family.SampleList.Add(new Sample("g", LabelSet.Create(["pid", "worker"], [i.ToString(System.Globalization.CultureInfo.InvariantCulture), "w"]), i));
        }

        var warmUp = new MetricFamily("w", MetricType.Gauge, "help");
        warmUp.SampleList.Add(new Sample("w", LabelSet.Create(["pid"], ["1"]), 1));
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        ExpositionWriter.WriteFamily(buffer, warmUp, ExpositionFormat.PrometheusText);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ExpositionWriter.WriteFamily(buffer, family, ExpositionFormat.PrometheusText);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 2_000 * 8, $"{allocated} bytes allocated writing 2,000 label sets");
    }

    [Property(MaxTest = 300)]
    public bool HelpEscaping_MatchesNaiveReference(string help)
    {
        help ??= string.Empty;
        var family = new MetricFamily("g", MetricType.Gauge, help);
        string text = Write([family], ExpositionFormat.PrometheusText);
        string om = Write([family], ExpositionFormat.OpenMetrics);
        string naive = help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        string naiveOm = naive.Replace("\"", "\\\"", StringComparison.Ordinal);
        return text == $"# HELP g {Utf8RoundTrip(naive)}\n# TYPE g gauge\n" && om == $"# HELP g {Utf8RoundTrip(naiveOm)}\n# TYPE g gauge\n# EOF\n";
    }

    [Property(MaxTest = 200)]
    public bool ParseOfWrite_RoundTripsLabelsAndValues(string[] values, double value)
    {
        values ??= [];
        string[] clean = values.Where(v => v is not null).Select(v => Utf8RoundTrip(v)).Distinct().Take(5).ToArray();
        string[] names = clean.Select((_, i) => "l" + i).ToArray();
        var family = new MetricFamily("g", MetricType.Gauge, "h");
        family.SampleList.Add(new Sample("g", LabelSet.Create(names, clean), value));

        ParsedSample parsed = ExpositionParser.Parse(Write([family], ExpositionFormat.PrometheusText))[0].Samples.Single();

        return parsed.Labels.Count == clean.Length
            && names.Select((n, i) => parsed.Labels[n] == clean[i]).All(x => x)
            && (parsed.Value.Equals(value) || (double.IsNaN(value) && double.IsNaN(parsed.Value)));
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText, "AllTypes.prom.txt", EscapingScheme.AllowUtf8)]
    [InlineData(ExpositionFormat.PrometheusText, "AllTypes.prom.txt", EscapingScheme.Dots)]
    [InlineData(ExpositionFormat.OpenMetrics, "AllTypes.om.txt", EscapingScheme.Values)]
    [InlineData(ExpositionFormat.OpenMetrics, "AllTypes.om.txt", EscapingScheme.AllowUtf8)]
    public void ClassicNames_AreWrittenAlikeInEveryScheme(ExpositionFormat format, string golden, EscapingScheme escaping)
    {
        Golden.Verify(golden, Write(AllTypes(), format, escaping));
    }

    internal static string Write(IReadOnlyList<MetricFamily> families, ExpositionFormat format, EscapingScheme escaping = EscapingScheme.Underscores)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ExpositionWriter.Write(buffer, families, format, escaping);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Utf8RoundTrip(string s) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s));

    internal static List<MetricFamily> AllTypes()
    {
        var counter = new MetricFamily("http_requests", MetricType.Counter, "Requests with a \\ backslash,\na newline and \"quotes\".");
        counter.SampleList.Add(new Sample("http_requests_total", LabelSet.Create(["method", "path"], ["GET", "/a\"b\\c\nd"]), 1027));
        counter.SampleList.Add(new Sample("http_requests_total", LabelSet.Create(["method", "path"], ["POST", "日本 🎉"]), 0.5));
        var gauge = new MetricFamily("temperature", MetricType.Gauge, "");
        gauge.SampleList.Add(new Sample("temperature", LabelSet.Create(["k"], ["nan"]), double.NaN));
        gauge.SampleList.Add(new Sample("temperature", LabelSet.Create(["k"], ["neg-inf"]), double.NegativeInfinity));
        gauge.SampleList.Add(new Sample("temperature", LabelSet.Create(["k"], ["neg-zero"]), -0.0));
        gauge.SampleList.Add(new Sample("temperature", LabelSet.Create(["k"], ["big"]), 1e21));
        var histogram = new MetricFamily("latency_seconds", MetricType.Histogram, "Latency.", "seconds");
        LabelSet route = LabelSet.Create(["route"], ["/"]);
        histogram.SampleList.Add(new Sample("latency_seconds_bucket", route.With("le", "0.005"), 1));
        histogram.SampleList.Add(new Sample("latency_seconds_bucket", route.With("le", "1e+10"), 3));
        histogram.SampleList.Add(new Sample("latency_seconds_bucket", route.With("le", "+Inf"), 4));
        histogram.SampleList.Add(new Sample("latency_seconds_count", route, 4));
        histogram.SampleList.Add(new Sample("latency_seconds_sum", route, 12.25));
        var summary = new MetricFamily("payload_bytes", MetricType.Summary, "Payload.");
        summary.SampleList.Add(new Sample("payload_bytes_count", LabelSet.Empty, 2));
        summary.SampleList.Add(new Sample("payload_bytes_sum", LabelSet.Empty, 1e6));
        var info = new MetricFamily("build", MetricType.Info, "Build.");
        info.SampleList.Add(new Sample("build_info", LabelSet.Create(["version"], ["1.2.3"]), 1));
        var stateset = new MetricFamily("feature", MetricType.StateSet, "Feature.");
        stateset.SampleList.Add(new Sample("feature", LabelSet.Create(["feature"], ["a"]), 1));
        stateset.SampleList.Add(new Sample("feature", LabelSet.Create(["feature"], ["b"]), 0));
        var unknown = new MetricFamily("mystery", MetricType.Unknown, "Mystery.");
        unknown.SampleList.Add(new Sample("mystery", LabelSet.Empty, 42));
        return [counter, gauge, histogram, summary, info, stateset, unknown];
    }
}
