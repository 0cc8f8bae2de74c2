using System.Buffers;
using System.Text;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// prometheus_client 0.22 and later accept UTF-8 metric and label names by default and write them into their keys as
/// <c>json.dumps([family, sample, labels, help], sort_keys=True)</c> (ASCII-escaped). Chorus reads them and writes them per
/// scrape: escaped to classic names by default, quoted for <c>escaping=allow-utf-8</c>.
/// </summary>
public class Utf8NameReadTests
{
    [Fact]
    public void KeysAreWhatPrometheusClient022Writes()
    {
        // values.py mmap_key: json.dumps with ensure_ascii (the default), so é is \u00e9 and the key stays ASCII.
        Assert.Equal(
            "[\"temp\\u00e9rature\", \"temp\\u00e9rature\", {\"room.name\": \"k\\u00fcche\"}, \"help\"]",
            ReferenceDbKey.Text("température", "température", [("room.name", "küche")], "help"));
    }

    [Fact]
    public void Utf8Names_AreReadWithoutProblems_AndEscapedByDefault()
    {
        using var dir = new TempDirectory();
        Utf8NameDirectory.Write(dir);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);

        string text = Scrape(source, ExpositionFormat.PrometheusText, EscapingScheme.Underscores);

        Assert.Empty(source.LastReport.Problems);
        Assert.Contains("# TYPE my_requests_total counter\nmy_requests_total{http_method=\"GET\"} 5.0\n", text, StringComparison.Ordinal);
        Assert.Contains("http_server_duration_bucket{le=\"+Inf\",service_name=\"api\"} 3.0\n", text, StringComparison.Ordinal);
        Assert.Contains("http_server_duration_count{service_name=\"api\"} 3.0\n", text, StringComparison.Ordinal);
        Assert.Contains("temp_rature{pid=\"7\",room_name=\"küche\"} 21.5\n", text, StringComparison.Ordinal);
        Assert.Equal(text, DirectoryFixture.Text(source));
        Promtool.AssertValid(text);
    }

    [Fact]
    public void Utf8Names_AreQuotedForAllowUtf8()
    {
        using var dir = new TempDirectory();
        Utf8NameDirectory.Write(dir);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);

        string text = Scrape(source, ExpositionFormat.PrometheusText, EscapingScheme.AllowUtf8);
        string openMetrics = Scrape(source, ExpositionFormat.OpenMetrics, EscapingScheme.AllowUtf8);

        Assert.Contains("# TYPE \"my.requests_total\" counter\n{\"my.requests_total\",\"http.method\"=\"GET\"} 5.0\n", text, StringComparison.Ordinal);
        Assert.Contains("{\"http.server.duration_sum\",\"service.name\"=\"api\"} 0.75\n", text, StringComparison.Ordinal);
        Assert.Contains("{\"température\",pid=\"7\",\"room.name\"=\"küche\"} 21.5\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE \"my.requests\" counter\n{\"my.requests_total\",\"http.method\"=\"GET\"} 5.0\n", openMetrics, StringComparison.Ordinal);
        Assert.EndsWith("# EOF\n", openMetrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE plain gauge\nplain{pid=\"7\"} 1.0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void WarmScrapes_InDifferentSchemes_DoNotShareRenderings()
    {
        using var dir = new TempDirectory();
        Utf8NameDirectory.Write(dir);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        string underscores = Scrape(source, ExpositionFormat.PrometheusText, EscapingScheme.Underscores);
        string quoted = Scrape(source, ExpositionFormat.PrometheusText, EscapingScheme.AllowUtf8);
        string dots = Scrape(source, ExpositionFormat.PrometheusText, EscapingScheme.Dots);

        Assert.Equal(underscores, Scrape(source, ExpositionFormat.PrometheusText, EscapingScheme.Underscores));
        Assert.Equal(quoted, Scrape(source, ExpositionFormat.PrometheusText, EscapingScheme.AllowUtf8));
        Assert.Equal(dots, Scrape(source, ExpositionFormat.PrometheusText, EscapingScheme.Dots));
        Assert.Contains("my_dot_requests_total{http_dot_method=\"GET\"} 5.0\n", dots, StringComparison.Ordinal);
        Assert.DoesNotContain("{\"", underscores, StringComparison.Ordinal);
        Assert.DoesNotContain("\"=", underscores, StringComparison.Ordinal);
        Assert.Contains("{\"", quoted, StringComparison.Ordinal);
        Assert.Equal(0, source.LastReport.EntriesParsed);
    }

    [Fact]
    public void MultiProcessRegistry_PassesTheSchemeToTheDirectoryItServes()
    {
        // A .NET app sharing the directory with prometheus_client 0.22 workers: its own names are classic, theirs are not.
        using var dir = new TempDirectory();
        Utf8NameDirectory.Write(dir);
        using MetricRegistry registry = Chorus.Metrics.NewCustomRegistry(new ChorusOptions { Directory = dir.Path });
        registry.CreateCounter("dotnet_jobs", "Jobs.").Inc(2);
        var quoted = new ArrayBufferWriter<byte>();
        var escaped = new ArrayBufferWriter<byte>();

        registry.Collect(quoted, ExpositionFormat.OpenMetrics, EscapingScheme.AllowUtf8);
        registry.Collect(escaped, ExpositionFormat.OpenMetrics);

        string quotedText = Encoding.UTF8.GetString(quoted.WrittenSpan);
        string escapedText = Encoding.UTF8.GetString(escaped.WrittenSpan);
        Assert.Contains("{\"my.requests_total\",\"http.method\"=\"GET\"} 5.0\n", quotedText, StringComparison.Ordinal);
        Assert.Contains("my_requests_total{http_method=\"GET\"} 5.0\n", escapedText, StringComparison.Ordinal);
        Assert.Contains("\ndotnet_jobs_total 2.0\n", quotedText, StringComparison.Ordinal);
        Assert.Contains("\ndotnet_jobs_total 2.0\n", escapedText, StringComparison.Ordinal);
    }

    private static string Scrape(MultiProcessDirectory source, ExpositionFormat format, EscapingScheme escaping)
    {
        var buffer = new ArrayBufferWriter<byte>();
        source.Collect(buffer, format, escaping);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
