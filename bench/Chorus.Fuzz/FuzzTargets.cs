using System.Buffers;
using System.Buffers.Binary;
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
        ["removed"] = RemovedSidecar,
    };

    // A slot file of three counter series, as a dead writer leaves it: the removal sidecar under test names them or not.
    private static readonly byte[] s_slotFile = SlotFile(["a", "b", "c"]);

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

    /// <summary>
    /// Bytes as the removal sidecar of a dead writer's slot file (<c>counter_0.db.removed</c>): the reader merges and renders
    /// the directory, a writer takes the slot (its handover rewrite reads the sidecar and drops or keeps entries, then
    /// the writer adds to a series), and the reader reads it all again warm.
    /// </summary>
    private static void RemovedSidecar(Stream input)
    {
        byte[] data = ReadAll(input);
        string directory = FuzzDirectory.Fresh();
        string path = Path.Combine(directory, "counter_0.db");
        File.WriteAllBytes(path, s_slotFile);
        File.WriteAllBytes(DbRemovedKeys.PathFor(path), data);
        _ = DbRemovedKeys.Read(path).AppliesTo(0);
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(directory);
        var output = new ArrayBufferWriter<byte>();
        reader.Collect(output, ExpositionFormat.PrometheusText);
        using (MetricRegistry registry = Metrics.NewCustomRegistry(new ChorusOptions { Directory = directory, Identity = IdentityKind.Slot }))
        {
            registry.CreateCounter("c", "C.", new CounterConfiguration { LabelNames = ["k"] }).WithLabels("b").Inc();
        }

        output.Clear();
        reader.Collect(output, ExpositionFormat.PrometheusText);
    }

    // Laid out here, not by Chorus's instrumented code: a static initializer runs before the fuzzer maps its coverage.
    private static byte[] SlotFile(string[] labels)
    {
        byte[] file = new byte[DbFormat.InitialCapacity];
        int used = DbFormat.HeaderSize;
        for (int i = 0; i < labels.Length; i++)
        {
            byte[] key = Encoding.UTF8.GetBytes($"[\"c\", \"c_total\", {{\"k\": \"{labels[i]}\"}}, \"C.\"]");
            BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(used), key.Length);
            key.CopyTo(file, used + 4);
            int value = used + 4 + key.Length;
            int padding = 8 - ((key.Length + 4) % 8);
            file.AsSpan(value, padding).Fill((byte)' ');
            value += padding;
            BinaryPrimitives.WriteDoubleLittleEndian(file.AsSpan(value), i + 1);
            used = value + 16;
        }

        BinaryPrimitives.WriteInt32LittleEndian(file, used);
        return file;
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
