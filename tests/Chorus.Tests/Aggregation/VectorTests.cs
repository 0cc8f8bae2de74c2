using System.Buffers;
using System.Text;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Aggregation;

/// <summary>Every committed vector (directories written by real prometheus_client 0.16 and 0.21) merges to that library's own output.</summary>
public class VectorTests
{
    public static TheoryData<string> Vectors()
    {
        var data = new TheoryData<string>();
        foreach (string version in new[] { "v8", "v16" })
        {
            foreach (string dir in Directory.GetDirectories(Path.Combine(RepoPaths.Vectors, version), "seed-*").Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(RepoPaths.Vectors, dir));
            }
        }

        return data;
    }

    [Fact]
    public void AllTwelveVectorsArePresent()
    {
        Assert.Equal(12, Vectors().Count);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Merge_MatchesPythonExpectedOutput(string vector)
    {
        string dir = Path.Combine(RepoPaths.Vectors, vector);
        string expected = File.ReadAllText(dir + ".expected.txt", Encoding.UTF8);

        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir);
        string actual = Scrape(source, ExpositionFormat.PrometheusText);

        Assert.Equal([], ExpositionComparer.Diff(expected, actual));
        Promtool.AssertValid(actual);
        Assert.Empty(source.LastReport.Problems);
        Assert.Equal(Directory.GetFiles(dir, "*.db").Length, source.LastReport.FilesRead);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void WarmCollection_EqualsColdCollection(string vector)
    {
        string dir = Path.Combine(RepoPaths.Vectors, vector);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir);
        string cold = Scrape(source, ExpositionFormat.PrometheusText);
        string warm = Scrape(source, ExpositionFormat.PrometheusText);

        Assert.Equal(cold, warm);
        Assert.Equal(0, source.LastReport.EntriesParsed);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void OpenMetricsOutput_HasTheSameSamples(string vector)
    {
        string dir = Path.Combine(RepoPaths.Vectors, vector);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir);
        string text = Scrape(source, ExpositionFormat.PrometheusText);
        string openMetrics = Scrape(source, ExpositionFormat.OpenMetrics);

        Assert.EndsWith("# EOF\n", openMetrics, StringComparison.Ordinal);
        var textSamples = ExpositionParser.Parse(text).SelectMany(f => f.Samples).Select(s => s.Key).Order(StringComparer.Ordinal);
        var omSamples = ExpositionParser.Parse(openMetrics).SelectMany(f => f.Samples).Select(s => s.Key).Order(StringComparer.Ordinal);
        Assert.Equal(textSamples, omSamples);
    }

    internal static string Scrape(IScrapeSource source, ExpositionFormat format)
    {
        var buffer = new ArrayBufferWriter<byte>();
        source.Collect(buffer, format);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
