using System.Buffers;
using System.Text;
using Chorus.Aggregation;
using Chorus.AspNetCore.Http;
using Chorus.AspNetCore.Security;
using Chorus.Exposition;
using Chorus.Files;
using Microsoft.Extensions.Primitives;

namespace Chorus.Fuzz;

/// <summary>The fuzzed entry points, by name. Inputs are capped so one execution stays in milliseconds.</summary>
internal static class FuzzTargets
{
    private const int MaxInput = 1 << 20;

    public static IReadOnlyDictionary<string, Action<Stream>> All { get; } = new Dictionary<string, Action<Stream>>(StringComparer.Ordinal)
    {
        ["db"] = DbBytes,
        ["directory"] = DirectoryRead,
        ["key"] = KeyJson,
        ["accept"] = AcceptHeader,
        ["webconfig"] = WebConfigYaml,
    };

    /// <summary>A <c>.db</c> file's bytes through the scanner (detected, 8-byte and 16-byte layouts) and every key parsed.</summary>
    private static void DbBytes(Stream input)
    {
        byte[] data = ReadAll(input);
        foreach (ValueLayout? layout in new ValueLayout?[] { null, ValueLayout.Value8, ValueLayout.ValueAndTimestamp16 })
        {
            DbFileScan scan = DbFileScan.Scan(data, data.Length, layout);
            foreach (DbEntry entry in scan.Entries)
            {
                _ = DbKey.TryParse(data.AsSpan(entry.KeyOffset, entry.KeyLength), out _, out _);
                _ = DbFileScan.ReadValue(data, entry);
                if (scan.Layout is { } known)
                {
                    _ = DbFileScan.ReadTimestamp(data, entry, known);
                }
            }
        }
    }

    /// <summary>
    /// The whole read path over a real file: the input as <c>counter_1.db</c> beside a good file, merged and rendered
    /// in both formats (names quoted and escaped), then read again warm after the file is cut to half its size.
    /// </summary>
    private static void DirectoryRead(Stream input)
    {
        byte[] data = ReadAll(input);
        string directory = FuzzDirectory.Fresh();
        string path = Path.Combine(directory, "counter_1.db");
        File.WriteAllBytes(path, data);
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(directory);
        var output = new ArrayBufferWriter<byte>();
        reader.Collect(output, ExpositionFormat.PrometheusText);
        output.Clear();
        reader.Collect(output, ExpositionFormat.OpenMetrics, EscapingScheme.AllowUtf8);
        output.Clear();
        reader.Collect(output, ExpositionFormat.PrometheusText, EscapingScheme.Values);
        using (FileStream file = File.OpenWrite(path))
        {
            file.SetLength(data.Length / 2);
        }

        output.Clear();
        reader.Collect(output, ExpositionFormat.PrometheusText);
    }

    /// <summary>A key's JSON as the reader parses it.</summary>
    private static void KeyJson(Stream input)
    {
        byte[] data = ReadAll(input);
        if (DbKey.TryParse(data, out DbKey? key, out _))
        {
            string[] names = key!.Labels.Select(l => l.Key).ToArray();
            string[] values = key.Labels.Select(l => l.Value).ToArray();
            _ = DbKey.Encode(key.Family, key.Sample, names, values, key.Help);
        }
    }

    /// <summary>Accept and Accept-Encoding headers as <c>/metrics</c> negotiates them.</summary>
    private static void AcceptHeader(Stream input)
    {
        string text = Encoding.UTF8.GetString(ReadAll(input));
        var values = new StringValues(text.Split('\n'));
        _ = ExpositionContentTypes.For(ScrapeNegotiation.Choose(values));
        _ = ScrapeNegotiation.AcceptsGzip(values);
    }

    /// <summary>An exporter-toolkit web config file; a bad one must fail with <see cref="WebConfigException"/> only.</summary>
    private static void WebConfigYaml(Stream input)
    {
        string text = Encoding.UTF8.GetString(ReadAll(input));
        try
        {
            _ = WebConfig.Parse(text, FuzzDirectory.Empty);
        }
        catch (WebConfigException)
        {
        }
    }

    private static byte[] ReadAll(Stream input)
    {
        using var copy = new MemoryStream();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while (copy.Length < MaxInput && (read = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                copy.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return copy.Length > MaxInput ? copy.ToArray()[..MaxInput] : copy.ToArray();
    }
}
