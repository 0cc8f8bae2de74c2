using System.Buffers;
using System.Text;
using Chorus.Aggregation;
using Chorus.Compaction;
using Chorus.Exposition;

namespace Chorus.Tests.Compaction;

/// <summary>Dead files with prometheus_client 0.22's UTF-8 names fold into archives like any others; the scrape does not change.</summary>
public sealed class Utf8NameCompactionTests
{
    [Theory]
    [InlineData(EscapingScheme.AllowUtf8)]
    [InlineData(EscapingScheme.Underscores)]
    public void Run_FoldsUtf8Names_AndTheScrapeIsUnchanged(EscapingScheme escaping)
    {
        using var dir = new TempDirectory();
        Utf8NameDirectory.Write(dir);
        string before = Scrape(dir.Path, escaping);

        CompactionReport report = Compactor.Run(dir.Path);

        Assert.Null(report.Refusal);
        Assert.Equal(3, report.FoldedCount);
        Assert.Equal(before, Scrape(dir.Path, escaping));
        Assert.Contains(escaping == EscapingScheme.AllowUtf8 ? "{\"my.requests_total\",\"http.method\"=\"GET\"} 5.0\n" : "my_requests_total{http_method=\"GET\"} 5.0\n", before, StringComparison.Ordinal);
    }

    private static string Scrape(string directory, EscapingScheme escaping)
    {
        using MultiProcessDirectory source = MultiProcessDirectory.Open(directory);
        var buffer = new ArrayBufferWriter<byte>();
        source.Collect(buffer, ExpositionFormat.PrometheusText, escaping);
        Assert.Empty(source.LastReport.Problems);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
