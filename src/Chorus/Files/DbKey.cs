using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Chorus.Files;

/// <summary>
/// A parsed entry key: <c>[family, sample, {labels}, help]</c> as prometheus_client writes it
/// (3 elements before 0.16, whose HELP is the constant <see cref="LegacyHelp"/>).
/// </summary>
/// <param name="Family">The metric family name (a counter's without <c>_total</c>).</param>
/// <param name="Sample">The sample name (<c>X_total</c>, <c>X_bucket</c>, <c>X_sum</c>, ...).</param>
/// <param name="Labels">Label pairs in key order (sorted by name, as Python's <c>sort_keys</c> wrote them).</param>
/// <param name="Help">The HELP text.</param>
internal sealed record DbKey(string Family, string Sample, IReadOnlyList<KeyValuePair<string, string>> Labels, string Help)
{
    /// <summary>The HELP prometheus_client before 0.16 reports for every multiprocess family.</summary>
    public const string LegacyHelp = "Multiprocess metric";

    /// <summary>
    /// Encodes a key byte-for-byte as Python's
    /// <c>json.dumps([family, sample, labels, help], sort_keys=True)</c> does.
    /// </summary>
    /// <param name="family">Family name.</param>
    /// <param name="sample">Sample name.</param>
    /// <param name="labelNames">Label names; they are sorted here, as <c>sort_keys</c> does.</param>
    /// <param name="labelValues">Label values matching <paramref name="labelNames"/>.</param>
    /// <param name="help">HELP text.</param>
    public static byte[] Encode(string family, string sample, ReadOnlySpan<string> labelNames, ReadOnlySpan<string> labelValues, string help)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(help);
        if (labelNames.Length != labelValues.Length)
        {
            throw new ArgumentException("Label names and values differ in number.", nameof(labelValues));
        }

        int[] order = new int[labelNames.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        // Python sorts str keys by code point; label names are ASCII, where ordinal order is the same.
        string[] names = labelNames.ToArray();
        Array.Sort(order, (a, b) => string.CompareOrdinal(names[a], names[b]));

        var buffer = new ArrayBufferWriter<byte>(64 + family.Length + sample.Length + help.Length);
        Append(buffer, "[");
        AppendString(buffer, family);
        Append(buffer, ", ");
        AppendString(buffer, sample);
        Append(buffer, ", {");
        for (int i = 0; i < order.Length; i++)
        {
            if (i > 0)
            {
                Append(buffer, ", ");
            }

            AppendString(buffer, names[order[i]]);
            Append(buffer, ": ");
            AppendString(buffer, labelValues[order[i]]);
        }

        Append(buffer, "}, ");
        AppendString(buffer, help);
        Append(buffer, "]");
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses a key. Returns false (never throws) when the bytes are not a valid key.</summary>
    /// <param name="utf8">The key bytes.</param>
    /// <param name="key">The parsed key.</param>
    /// <param name="error">Why parsing failed.</param>
    /// <param name="strings">Where the key's strings come from when the same bytes were decoded before (null: decoded afresh).</param>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out DbKey? key, out string? error, KeyStrings? strings = null)
    {
        key = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 4 });
            Expect(ref reader, JsonTokenType.StartArray);
            string family = ReadString(ref reader, strings);
            string sample = ReadString(ref reader, strings);
            Expect(ref reader, JsonTokenType.StartObject);
            var labels = new List<KeyValuePair<string, string>>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = StringOf(ref reader, strings);
                if (name.Length == 0)
                {
                    // Any other name is valid since prometheus_client 0.22 (UTF-8 names); an empty one fits no exposition.
                    throw new FormatException("empty label name");
                }

                labels.Add(new(name, ReadString(ref reader, strings)));
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new FormatException("labels are not an object of strings");
            }

            Read(ref reader);
            string help = LegacyHelp;
            if (reader.TokenType == JsonTokenType.String)
            {
                help = StringOf(ref reader, strings);
                Read(ref reader);
            }

            if (reader.TokenType != JsonTokenType.EndArray || reader.Read())
            {
                throw new FormatException("key has more than 4 elements");
            }

            if (family.Length == 0 || sample.Length == 0)
            {
                throw new FormatException("empty metric name");
            }

            key = new DbKey(family, sample, labels, help);
            error = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            error = e is JsonException ? "invalid JSON or UTF-8 in key" : e.Message;
            return false;
        }
    }

    private static void Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new FormatException("key ends early");
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        Read(ref reader);
        if (reader.TokenType != type)
        {
            throw new FormatException($"expected {type} in key, found {reader.TokenType}");
        }
    }

    private static string ReadString(ref Utf8JsonReader reader, KeyStrings? strings)
    {
        Expect(ref reader, JsonTokenType.String);
        return StringOf(ref reader, strings);
    }

    private static string StringOf(ref Utf8JsonReader reader, KeyStrings? strings) =>
        strings is null ? reader.GetString()! : strings.Get(ref reader);

    private static void Append(ArrayBufferWriter<byte> buffer, string ascii)
    {
        Span<byte> span = buffer.GetSpan(ascii.Length);
        int n = Encoding.ASCII.GetBytes(ascii, span);
        buffer.Advance(n);
    }

    private static void AppendString(ArrayBufferWriter<byte> buffer, string value)
    {
        // Python's ensure_ascii output: short escapes for the usual controls, \u00XX for other
        // controls and everything from DEL up, one \uXXXX per UTF-16 unit (so astral chars become pairs).
        Span<byte> span = buffer.GetSpan((value.Length * 6) + 2);
        int n = 0;
        span[n++] = (byte)'"';
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': span[n++] = (byte)'\\'; span[n++] = (byte)'"'; break;
                case '\\': span[n++] = (byte)'\\'; span[n++] = (byte)'\\'; break;
                case '\n': span[n++] = (byte)'\\'; span[n++] = (byte)'n'; break;
                case '\r': span[n++] = (byte)'\\'; span[n++] = (byte)'r'; break;
                case '\t': span[n++] = (byte)'\\'; span[n++] = (byte)'t'; break;
                case '\b': span[n++] = (byte)'\\'; span[n++] = (byte)'b'; break;
                case '\f': span[n++] = (byte)'\\'; span[n++] = (byte)'f'; break;
                default:
                    if (c < 0x20 || c >= 0x7F)
                    {
                        span[n++] = (byte)'\\';
                        span[n++] = (byte)'u';
                        span[n++] = Hex(c >> 12);
                        span[n++] = Hex((c >> 8) & 0xF);
                        span[n++] = Hex((c >> 4) & 0xF);
                        span[n++] = Hex(c & 0xF);
                    }
                    else
                    {
                        span[n++] = (byte)c;
                    }

                    break;
            }
        }

        span[n++] = (byte)'"';
        buffer.Advance(n);
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
