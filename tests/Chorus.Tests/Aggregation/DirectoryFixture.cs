using Chorus.Files;
using System.Buffers;
using System.Text;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Aggregation;

/// <summary>Helpers to scrape a directory and look samples up by name and labels.</summary>
internal static class DirectoryFixture
{
    public static (Dictionary<string, double> Samples, List<ParsedFamily> Families, CollectionReport Report) Scrape(string dir, MultiProcessDirectoryOptions? options = null)
    {
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir, options);
        return Scrape(source);
    }

    public static (Dictionary<string, double> Samples, List<ParsedFamily> Families, CollectionReport Report) Scrape(MultiProcessDirectory source)
    {
        var buffer = new ArrayBufferWriter<byte>();
        source.Collect(buffer, ExpositionFormat.PrometheusText);
        List<ParsedFamily> families = ExpositionParser.Parse(Encoding.UTF8.GetString(buffer.WrittenSpan));
        var samples = families.SelectMany(f => f.Samples).ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        return (samples, families, source.LastReport);
    }

    public static string Text(MultiProcessDirectory source, ExpositionFormat format = ExpositionFormat.PrometheusText)
    {
        var buffer = new ArrayBufferWriter<byte>();
        source.Collect(buffer, format);

        // As a server does once the response is sent (a no-op unless the reader probes after collections).
        source.ProbeAfterResponse();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A healthy counter file other tests put beside the bad one: <c>good_total 5</c>.</summary>
    public static void WriteGoodNeighbour(TempDirectory dir) =>
        new DbFileBuilder().Add("good", "good_total", 5.0).WriteTo(dir.File("counter_1.db"));

    /// <summary>A file with two complete entries (<c>c_total{n="a"} 1</c>, <c>{n="b"} 2</c>) and the byte offset where a third would start.</summary>
    public static (byte[] Bytes, int ThirdEntryOffset) TwoEntryFile(ValueLayout layout = ValueLayout.ValueAndTimestamp16)
    {
        byte[] bytes = new DbFileBuilder(layout).Add("c", "c_total", 1.0, labels: ("n", "a")).Add("c", "c_total", 2.0, labels: ("n", "b")).Build();
        return (bytes, DbFormat.ReadUsed(bytes));
    }
}
