using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Exposition;

/// <summary>
/// The <c>chorus_*</c> self-metrics: written by the exposition writer after any source's families, one <c># EOF</c>, the
/// source's family of the same name winning, and the bytes the endpoint served before they were a source of families.
/// </summary>
public sealed partial class SelfMetricsSourceTests
{
    // What the endpoint appended before (SelfMetricsWriter), with the numbers spelled as the exposition writer spells them.
    private const string Duration =
        "# HELP chorus_scrape_duration_seconds Seconds Chorus spent collecting this scrape.\n" +
        "# TYPE chorus_scrape_duration_seconds gauge\n" +
        "chorus_scrape_duration_seconds D\n";

    private const string DurationAndFiles = Duration +
        "# HELP chorus_files Files in the multiprocess directory at the last scrape, by state (read, damaged: partly read, skipped).\n" +
        "# TYPE chorus_files gauge\n" +
        "chorus_files{state=\"read\"} 1.0\n" +
        "chorus_files{state=\"damaged\"} 0.0\n" +
        "chorus_files{state=\"skipped\"} 1.0\n";

    private const string SkippedSamples =
        "chorus_files_skipped_total{reason=\"unrecognized_name\"} 2.0\n" +
        "chorus_files_skipped_total{reason=\"vanished\"} 0.0\n" +
        "chorus_files_skipped_total{reason=\"unreadable\"} 0.0\n";

    // Text 0.0.4 names a counter family with its _total, OpenMetrics without.
    private const string TextSelfMetrics = DurationAndFiles +
        "# HELP chorus_files_skipped_total File skips by reason, summed over scrapes (a file skipped by every scrape counts each time).\n" +
        "# TYPE chorus_files_skipped_total counter\n" + SkippedSamples +
        "# HELP chorus_bytes_read_total Bytes read from .db files, summed over scrapes.\n" +
        "# TYPE chorus_bytes_read_total counter\n" +
        "chorus_bytes_read_total B\n";

    private const string OpenMetricsSelfMetrics = DurationAndFiles +
        "# HELP chorus_files_skipped File skips by reason, summed over scrapes (a file skipped by every scrape counts each time).\n" +
        "# TYPE chorus_files_skipped counter\n" + SkippedSamples +
        "# HELP chorus_bytes_read Bytes read from .db files, summed over scrapes.\n" +
        "# TYPE chorus_bytes_read counter\n" +
        "chorus_bytes_read_total B\n";

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText, EscapingScheme.Underscores)]
    [InlineData(ExpositionFormat.PrometheusText, EscapingScheme.AllowUtf8)]
    [InlineData(ExpositionFormat.OpenMetrics, EscapingScheme.Underscores)]
    [InlineData(ExpositionFormat.OpenMetrics, EscapingScheme.AllowUtf8)]
    public void Directory_ItsFamiliesThenTheSelfMetrics_EndedOnce(ExpositionFormat format, EscapingScheme escaping)
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("jobs", "jobs_total", 3.0).Add("my.jobs", "my.jobs_total", 4.0).WriteTo(dir.File("counter_1.db"));
        File.WriteAllBytes(dir.File("notametric_1.db"), new byte[16]);
        using MultiProcessDirectory reference = MultiProcessDirectory.Open(dir.Path);
        using MultiProcessDirectory directory = MultiProcessDirectory.Open(dir.Path);
        var source = new SelfMetricsSource(directory);

        Collect(source, format, escaping);
        string served = Collect(source, format, escaping);

        string data = Collect(reference, format, escaping);
        string end = format == ExpositionFormat.OpenMetrics ? "# EOF\n" : string.Empty;
        string self = format == ExpositionFormat.OpenMetrics ? OpenMetricsSelfMetrics : TextSelfMetrics;
        Assert.Equal(data[..^end.Length] + self + end, WithDurationAndBytes(served, "D", "B"));
        Assert.Equal(directory.LastReport, source.LastReport);
        Assert.Empty(source.FamiliesLeftOut);
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText)]
    [InlineData(ExpositionFormat.OpenMetrics)]
    public void TailLength_IsWhereTheSourcesDataEnds(ExpositionFormat format)
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("jobs", "jobs_total", 3.0).WriteTo(dir.File("counter_1.db"));
        using MultiProcessDirectory directory = MultiProcessDirectory.Open(dir.Path);
        string end = format == ExpositionFormat.OpenMetrics ? "# EOF\n" : string.Empty;
        foreach (IScrapeSource data in new IScrapeSource[] { directory, new FixedSource("# TYPE app gauge\napp 1\n" + end) })
        {
            var source = new SelfMetricsSource(data);
            var buffer = new ArrayBufferWriter<byte>();
            buffer.Write("before\n"u8);

            int tail = source.CollectWithTailLength(buffer, format, EscapingScheme.Underscores);

            string served = Encoding.UTF8.GetString(buffer.WrittenSpan);
            string expected = "before\n" + Collect(data, format)[..^end.Length];
            Assert.Equal(expected, served[..^tail]);
            Assert.StartsWith("# HELP chorus_scrape_duration_seconds ", served[^tail..], StringComparison.Ordinal);
            Assert.EndsWith("\n" + end, served, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Directory_BytesReadSumOverScrapes()
    {
        using var dir = new TempDirectory();
        string path = new DbFileBuilder().Add("jobs", "jobs_total", 3.0).WriteTo(dir.File("counter_1.db"));
        using MultiProcessDirectory directory = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { MaxKeptFiles = 0 });
        var source = new SelfMetricsSource(directory);
        long read = 0;
        for (int i = 0; i < 3; i++)
        {
            new DbFileBuilder().Add("jobs", "jobs_total", 3.0 + i).WriteTo(path);
            Collect(source, ExpositionFormat.PrometheusText);
            read += directory.LastReport.BytesRead;
        }

        string served = Collect(source, ExpositionFormat.PrometheusText);

        read += directory.LastReport.BytesRead;
        Assert.True(read > 0);
        Assert.Equal(read, Samples(served)["chorus_bytes_read_total{}"]);
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText)]
    [InlineData(ExpositionFormat.OpenMetrics)]
    public void RegistryInMemory_GetsTheScrapeDurationOnly(ExpositionFormat format)
    {
        MetricRegistry registry = Chorus.Metrics.NewCustomRegistry();
        registry.CreateCounter("jobs_total", "Jobs.").Inc(2);
        var source = new SelfMetricsSource(registry);

        string served = Collect(source, format);

        string data = Collect(registry, format);
        string end = format == ExpositionFormat.OpenMetrics ? "# EOF\n" : string.Empty;
        Assert.Equal(data[..^end.Length] + Duration + end, WithDurationAndBytes(served, "D", "B"));
        Assert.Null(source.LastReport);
    }

    [Fact]
    public void RegistryInMultiprocessMode_GetsTheDirectorysFileMetrics()
    {
        using var dir = new TempDirectory();
        using MetricRegistry registry = Chorus.Metrics.NewCustomRegistry(new ChorusOptions { Directory = dir.Path });
        registry.CreateCounter("jobs_total", "Jobs.").Inc(2);
        var source = new SelfMetricsSource(registry);

        Dictionary<string, double> samples = Samples(Collect(source, ExpositionFormat.OpenMetrics));

        int files = Directory.GetFiles(dir.Path, "*.db").Length;
        Assert.True(files > 0);
        Assert.Equal(2, samples["jobs_total{}"]);
        Assert.Equal(files, samples["chorus_files{state=\"read\"}"]);
        Assert.True(samples["chorus_bytes_read_total{}"] > 0);
        Assert.NotNull(source.LastReport);
    }

    [Fact]
    public void DirectoryFamilyNamedLikeASelfMetric_WinsAndOnlyThatOneIsLeftOut()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("chorus_files", "chorus_files", 7.0).WriteTo(dir.File("gauge_all_1.db"));
        new DbFileBuilder().Add("chorus_bytes_read", "chorus_bytes_read_total", 9.0).WriteTo(dir.File("counter_1.db"));
        using MultiProcessDirectory directory = MultiProcessDirectory.Open(dir.Path);
        var source = new SelfMetricsSource(directory);

        string served = Collect(source, ExpositionFormat.PrometheusText);

        Assert.Equal(["chorus_files", "chorus_bytes_read"], source.FamiliesLeftOut);
        Assert.Single(Regex.Matches(served, "^# TYPE chorus_files gauge$", RegexOptions.Multiline));
        Assert.Single(Regex.Matches(served, "^# TYPE chorus_bytes_read_total counter$", RegexOptions.Multiline));
        Dictionary<string, double> samples = Samples(served);
        Assert.Equal(7, samples["chorus_files{pid=\"1\"}"]);
        Assert.Equal(9, samples["chorus_bytes_read_total{}"]);
        Assert.Contains("chorus_scrape_duration_seconds{}", samples.Keys);
        Assert.Contains("chorus_files_skipped_total{reason=\"vanished\"}", samples.Keys);
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText, "# HELP app_jobs_total Jobs.\n# TYPE app_jobs_total counter\napp_jobs_total 42\n")]
    [InlineData(ExpositionFormat.OpenMetrics, "# TYPE app_jobs counter\n# HELP app_jobs Jobs.\napp_jobs_total 42\n# EOF\n")]
    public void SourceOfAnotherKind_IsCopiedAndEndsOnce(ExpositionFormat format, string exposition)
    {
        var source = new SelfMetricsSource(new FixedSource(exposition));

        string served = Collect(source, format);

        string end = format == ExpositionFormat.OpenMetrics ? "# EOF\n" : string.Empty;
        Assert.Equal(exposition[..^end.Length] + Duration + end, WithDurationAndBytes(served, "D", "B"));
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText, "# HELP chorus_scrape_duration_seconds Mine.\n# TYPE chorus_scrape_duration_seconds gauge\nchorus_scrape_duration_seconds 7\n")]
    [InlineData(ExpositionFormat.OpenMetrics, "# TYPE chorus_scrape_duration_seconds_total gauge\nchorus_scrape_duration_seconds_total 7\n# EOF\n")]
    public void SourceOfAnotherKind_ItsFamilyNamedLikeASelfMetricWins(ExpositionFormat format, string exposition)
    {
        var source = new SelfMetricsSource(new FixedSource(exposition));

        Assert.Equal(exposition, Collect(source, format));
        Assert.Equal(["chorus_scrape_duration_seconds"], source.FamiliesLeftOut);
    }

    [Fact]
    public void FamilyNameSearch_FindsTypeLinesOnly()
    {
        string[] names = ["chorus_files", "chorus_files_total", "other"];
        byte[] exposition = "# HELP x see # TYPE chorus_files gauge\n# TYPE x gauge\nx 1\n# TYPE chorus_files_total counter\n"u8.ToArray();

        Assert.Equal(0b010, FamilyNameSearch.InTypeLines(exposition, names));
        Assert.Equal(0b001, FamilyNameSearch.InTypeLines("# TYPE chorus_files gauge\n"u8, names));
        Assert.Equal(0, FamilyNameSearch.InTypeLines("# TYPE chorus_files_x gauge\n"u8, names));
    }

    [Fact]
    public void FamilyNameSearch_LooksUpSortedFamilies()
    {
        MetricFamily[] families = [.. new[] { "a", "chorus_files", "m", "z" }.Select(n => new MetricFamily(n, MetricType.Gauge, ""))];

        Assert.Equal(0b101, FamilyNameSearch.InFamilies(families, ["a", "chorus", "z"]));
        Assert.Equal(0b10, FamilyNameSearch.InFamilies(families, ["chorus_files_total", "chorus_files"]));
        Assert.Equal(0, FamilyNameSearch.InFamilies([], ["a"]));
    }

    private static string Collect(IScrapeSource source, ExpositionFormat format, EscapingScheme escaping = EscapingScheme.Underscores)
    {
        var buffer = new ArrayBufferWriter<byte>();
        source.Collect(buffer, format, escaping);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static Dictionary<string, double> Samples(string exposition) =>
        ExpositionParser.Parse(exposition).SelectMany(f => f.Samples).ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);

    /// <summary>Replaces the values that depend on timing and file sizes (checked elsewhere) by placeholders.</summary>
    private static string WithDurationAndBytes(string exposition, string duration, string bytes)
    {
        string result = DurationLine().Replace(exposition, "${name} " + duration);
        return BytesLine().Replace(result, "${name} " + bytes);
    }

    [GeneratedRegex("^(?<name>chorus_scrape_duration_seconds) [0-9.e+-]+$", RegexOptions.Multiline)]
    private static partial Regex DurationLine();

    [GeneratedRegex("^(?<name>chorus_bytes_read_total) [0-9.e+-]+$", RegexOptions.Multiline)]
    private static partial Regex BytesLine();

    /// <summary>A source of another kind: fixed bytes, the same in every format.</summary>
    private sealed class FixedSource(string exposition) : IScrapeSource
    {
        public void Collect(IBufferWriter<byte> output, ExpositionFormat format) => output.Write(Encoding.UTF8.GetBytes(exposition));
    }
}
