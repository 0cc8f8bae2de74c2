using Chorus.Exposition;

namespace Chorus.Tests.Exposition;

/// <summary>
/// Names outside the classic character set (what prometheus_client 0.22 and later accept): quoted for a scraper that asked
/// for <c>escaping=allow-utf-8</c>, the way prometheus_client and client_golang write them, escaped to classic names otherwise.
/// </summary>
public class Utf8NameExpositionTests
{
    [Fact]
    public void AllowUtf8_Text_QuotesMetricAndLabelNamesInsideTheBraces()
    {
        string text = ExpositionWriterTests.Write([Histogram(), Counter()], ExpositionFormat.PrometheusText, EscapingScheme.AllowUtf8);

        Assert.Equal(
            "# HELP \"http.server.duration\" Duration.\n" +
            "# TYPE \"http.server.duration\" histogram\n" +
            "{\"http.server.duration_bucket\",\"http.method\"=\"GET\",le=\"0.5\"} 1.0\n" +
            "{\"http.server.duration_bucket\",\"http.method\"=\"GET\",le=\"+Inf\"} 2.0\n" +
            "{\"http.server.duration_count\",\"http.method\"=\"GET\"} 2.0\n" +
            "{\"http.server.duration_sum\",\"http.method\"=\"GET\"} 1.5\n" +
            "# HELP \"my.requests_total\" Requests.\n" +
            "# TYPE \"my.requests_total\" counter\n" +
            "{\"my.requests_total\"} 3.0\n",
            text);
    }

    [Fact]
    public void AllowUtf8_OpenMetrics_QuotesTheFamilyNameAndEndsWithEof()
    {
        string text = ExpositionWriterTests.Write([Counter()], ExpositionFormat.OpenMetrics, EscapingScheme.AllowUtf8);

        Assert.Equal("# HELP \"my.requests\" Requests.\n# TYPE \"my.requests\" counter\n{\"my.requests_total\"} 3.0\n# EOF\n", text);
    }

    [Fact]
    public void AllowUtf8_EscapesBackslashNewlineAndQuoteInsideQuotedNames()
    {
        var gauge = new MetricFamily("a\"b\\c\nd", MetricType.Gauge, "G.");
        gauge.SampleList.Add(new Sample("a\"b\\c\nd", LabelSet.Create(["x\"y"], ["v"]), 1));

        string text = ExpositionWriterTests.Write([gauge], ExpositionFormat.PrometheusText, EscapingScheme.AllowUtf8);

        Assert.Equal("# HELP \"a\\\"b\\\\c\\nd\" G.\n# TYPE \"a\\\"b\\\\c\\nd\" gauge\n{\"a\\\"b\\\\c\\nd\",\"x\\\"y\"=\"v\"} 1.0\n", text);
    }

    [Fact]
    public void AllowUtf8_LeavesClassicSampleNamesUnquoted()
    {
        var gauge = new MetricFamily("g", MetricType.Gauge, "G.");
        gauge.SampleList.Add(new Sample("g", LabelSet.Create(["état", "ok"], ["1", "2"]), 4));

        string text = ExpositionWriterTests.Write([gauge], ExpositionFormat.PrometheusText, EscapingScheme.AllowUtf8);

        Assert.Equal("# HELP g G.\n# TYPE g gauge\ng{ok=\"2\",\"état\"=\"1\"} 4.0\n", text);
    }

    [Fact]
    public void Underscores_Text_WritesClassicNamesThatPromtoolAccepts()
    {
        string text = ExpositionWriterTests.Write([Histogram(), Counter()], ExpositionFormat.PrometheusText, EscapingScheme.Underscores);

        Assert.Equal(
            "# HELP http_server_duration Duration.\n" +
            "# TYPE http_server_duration histogram\n" +
            "http_server_duration_bucket{http_method=\"GET\",le=\"0.5\"} 1.0\n" +
            "http_server_duration_bucket{http_method=\"GET\",le=\"+Inf\"} 2.0\n" +
            "http_server_duration_count{http_method=\"GET\"} 2.0\n" +
            "http_server_duration_sum{http_method=\"GET\"} 1.5\n" +
            "# HELP my_requests_total Requests.\n" +
            "# TYPE my_requests_total counter\n" +
            "my_requests_total 3.0\n",
            text);
        Promtool.AssertValid(text);
    }

    [Theory]
    [InlineData(EscapingScheme.Dots, "http_dot_server_dot_duration", "http_dot_method", "my_dot_requests")]
    [InlineData(EscapingScheme.Values, "U__http_2e_server_2e_duration", "U__http_2e_method", "U__my_2e_requests")]
    public void DotsAndValues_EscapeTheFamilyAndKeepTheSuffixes(EscapingScheme escaping, string histogram, string label, string counter)
    {
        string text = ExpositionWriterTests.Write([Histogram(), Counter()], ExpositionFormat.PrometheusText, escaping);

        List<ParsedFamily> families = ExpositionParser.Parse(text);
        Assert.Equal([histogram, counter + "_total"], families.Select(f => f.Name));
        Assert.Equal(
            [histogram + "_bucket", histogram + "_bucket", histogram + "_count", histogram + "_sum"],
            families[0].Samples.Select(s => s.Name));
        Assert.All(families[0].Samples, s => Assert.Equal("GET", s.Labels[label]));
        Promtool.AssertValid(text);
    }

    [Fact]
    public void OpenMetrics_Underscores_EscapesTheFamilyNameToo()
    {
        string text = ExpositionWriterTests.Write([Counter()], ExpositionFormat.OpenMetrics, EscapingScheme.Underscores);

        Assert.Equal("# HELP my_requests Requests.\n# TYPE my_requests counter\nmy_requests_total 3.0\n# EOF\n", text);
    }

    private static MetricFamily Histogram()
    {
        var histogram = new MetricFamily("http.server.duration", MetricType.Histogram, "Duration.");
        LabelSet get = LabelSet.Create(["http.method"], ["GET"]);
        histogram.SampleList.Add(new Sample("http.server.duration_bucket", get.With("le", "0.5"), 1));
        histogram.SampleList.Add(new Sample("http.server.duration_bucket", get.With("le", "+Inf"), 2));
        histogram.SampleList.Add(new Sample("http.server.duration_count", get, 2));
        histogram.SampleList.Add(new Sample("http.server.duration_sum", get, 1.5));
        return histogram;
    }

    private static MetricFamily Counter()
    {
        var counter = new MetricFamily("my.requests", MetricType.Counter, "Requests.");
        counter.SampleList.Add(new Sample("my.requests_total", LabelSet.Empty, 3));
        return counter;
    }
}
