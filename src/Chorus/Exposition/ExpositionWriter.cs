using System.Buffers;
using System.Text;

namespace Chorus.Exposition;

/// <summary>
/// Writes metric families as Prometheus text 0.0.4 or OpenMetrics 1.0 straight into an
/// <see cref="IBufferWriter{T}"/>. Never reads files or stores: it prints what it is given, in order.
/// </summary>
/// <remarks>
/// Numbers use prometheus_client's spelling (<see cref="GoFloat"/>). HELP escapes <c>\</c> and newline
/// (OpenMetrics also <c>"</c>); label values escape <c>\</c>, <c>"</c> and newline. Text 0.0.4 names a
/// counter family <c>x_total</c> (as prometheus_client does); OpenMetrics names it <c>x</c> and ends with <c># EOF</c>.
/// Names outside the classic character set follow the <see cref="EscapingScheme"/> (<see cref="NameEscaper"/>): quoted
/// under allow-utf-8 (<c># TYPE "my.metric" gauge</c>, <c>{"my.metric","a.b"="x"} 1</c>), escaped otherwise.
/// </remarks>
internal static class ExpositionWriter
{
    /// <summary>Bytes always enough for one value written by <see cref="WriteValue"/>.</summary>
    public const int MaxValueLength = GoFloat.MaxLength;

    /// <summary>Writes <paramref name="families"/> in order.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="families">The families, already in output order.</param>
    /// <param name="format">The format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    public static void Write(IBufferWriter<byte> output, IReadOnlyList<MetricFamily> families, ExpositionFormat format, EscapingScheme escaping = EscapingScheme.Underscores)
    {
        WriteFamilies(output, families, format, escaping);
        WriteEnd(output, format);
    }

    /// <summary>Writes <paramref name="families"/> in order, not what ends an exposition (more families may follow).</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="families">The families, already in output order.</param>
    /// <param name="format">The format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    public static void WriteFamilies(IBufferWriter<byte> output, IReadOnlyList<MetricFamily> families, ExpositionFormat format, EscapingScheme escaping = EscapingScheme.Underscores)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(families);
        for (int i = 0; i < families.Count; i++)
        {
            WriteFamily(output, families[i], format, escaping);
        }
    }

    /// <summary>Writes what ends an exposition (OpenMetrics: <c># EOF</c>; nothing for text 0.0.4), after families written one at a time.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    public static void WriteEnd(IBufferWriter<byte> output, ExpositionFormat format)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (format == ExpositionFormat.OpenMetrics)
        {
            WriteRaw(output, "# EOF\n"u8);
        }
    }

    /// <summary>Writes one family (no <c># EOF</c>).</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="family">The family.</param>
    /// <param name="format">The format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    /// <returns>True when some name was outside the classic set (the bytes depend on <paramref name="escaping"/>).</returns>
    public static bool WriteFamily(IBufferWriter<byte> output, MetricFamily family, ExpositionFormat format, EscapingScheme escaping = EscapingScheme.Underscores)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(family);
        WriteHeader(output, family, format, escaping);
        return WriteSamples(output, family, escaping, valueStarts: default, written: 0);
    }

    /// <summary>
    /// Writes one family (no <c># EOF</c>) into a buffer of its own, noting where each sample's value starts: a rendering
    /// of the same samples with other values can then be patched instead of written again (<see cref="RenderingPatch"/>).
    /// </summary>
    /// <param name="output">Where the UTF-8 bytes go, from its start (its written count is the offset of the family's first byte).</param>
    /// <param name="family">The family.</param>
    /// <param name="format">The format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    /// <param name="valueStarts">Per sample, filled with the offset in <paramref name="output"/> of its value's first byte (one per sample).</param>
    /// <returns>True when some name was outside the classic set (the bytes depend on <paramref name="escaping"/>).</returns>
    public static bool WriteFamily(ArrayBufferWriter<byte> output, MetricFamily family, ExpositionFormat format, EscapingScheme escaping, Span<int> valueStarts)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(family);
        ArgumentOutOfRangeException.ThrowIfNotEqual(valueStarts.Length, family.SampleList.Count);
        WriteHeader(output, family, format, escaping);
        return WriteSamples(output, family, escaping, valueStarts, output.WrittenCount);
    }

    /// <summary>
    /// About how many bytes <see cref="WriteFamily(ArrayBufferWriter{byte}, MetricFamily, ExpositionFormat, EscapingScheme, Span{int})"/>
    /// writes for <paramref name="family"/> (ASCII names and values, as nearly every host has), plus the room its last
    /// lines ask for: a first buffer of this size is not grown. A guess per sample fell short for long label sets, and
    /// doubling from it allocated two to three times a big family's bytes on a cold pass (docs/benchmarks.md).
    /// </summary>
    /// <param name="family">The family.</param>
    public static int LengthEstimate(MetricFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);

        // The HELP, TYPE and (OpenMetrics) UNIT lines.
        long length = (3 * (family.Name.Length + 16)) + family.Help.Length + (family.Unit?.Length ?? 0);
        int widest = 0;
        List<Sample> samples = family.SampleList;
        for (int s = 0; s < samples.Count; s++)
        {
            Sample sample = samples[s];
            LabelSet labels = sample.Labels;
            int line = sample.Name.Length + 4 + ValueLengthEstimate(sample.Value);
            for (int i = 0; i < labels.Count; i++)
            {
                line += labels.GetName(i).Length + labels.GetValue(i).Length + 4;
            }

            if (family.PidAt(s) is { } pid)
            {
                line += PidLabels.Name.Length + pid.Length + 4;
            }

            length += line;
            widest = Math.Max(widest, line);
        }

        // Each line asks for a span as long as its longest possible rendering (three bytes a character) before writing.
        length += (3L * widest) + GoFloat.MaxLength;
        return (int)Math.Min(length, Array.MaxLength);
    }

    /// <summary>
    /// Writes a sample's value as every line of the writer spells it (<see cref="GoFloat"/>); the line patching of
    /// <see cref="RenderingPatch"/> formats changed values with it too.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <param name="destination">At least <see cref="MaxValueLength"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteValue(double value, Span<byte> destination) => GoFloat.Format(value, destination);

    /// <summary>
    /// About the length of <paramref name="value"/> as <see cref="GoFloat"/> spells it: whole numbers as their digits and
    /// <c>.0</c>, a few binary places (<c>2.5</c>, <c>0.125</c>) a few digits more, any other fraction at full precision.
    /// </summary>
    private static int ValueLengthEstimate(double value)
    {
        double magnitude = Math.Abs(value);
        if (!(magnitude < 1e15))
        {
            return 22;
        }

        int whole = magnitude < 10 ? 1 : (int)Math.Log10(magnitude) + 1;
        if (magnitude == Math.Floor(magnitude))
        {
            return whole + 3;
        }

        double scaled = magnitude * 1024;
        return scaled == Math.Floor(scaled) ? whole + 6 : 20;
    }

    /// <summary>Writes a family's <c># HELP</c>, <c># TYPE</c> and (OpenMetrics) <c># UNIT</c> lines.</summary>
    private static void WriteHeader(IBufferWriter<byte> output, MetricFamily family, ExpositionFormat format, EscapingScheme escaping)
    {
        bool openMetrics = format == ExpositionFormat.OpenMetrics;
        string headerName = family.Name;
        ReadOnlySpan<byte> typeName;
        if (openMetrics)
        {
            typeName = family.Type switch
            {
                MetricType.Counter => "counter"u8,
                MetricType.Gauge => "gauge"u8,
                MetricType.Histogram => "histogram"u8,
                MetricType.Summary => "summary"u8,
                MetricType.Info => "info"u8,
                MetricType.StateSet => "stateset"u8,
                MetricType.GaugeHistogram => "gaugehistogram"u8,
                _ => "unknown"u8,
            };
        }
        else
        {
            // prometheus_client's generate_latest: the 0.0.4 family carries the counter's and info's sample name.
            headerName = family.TextHeaderName;
            typeName = family.Type switch
            {
                MetricType.Counter => "counter"u8,
                MetricType.Gauge or MetricType.Info or MetricType.StateSet => "gauge"u8,
                MetricType.Histogram or MetricType.GaugeHistogram => "histogram"u8,
                MetricType.Summary => "summary"u8,
                _ => "untyped"u8,
            };
        }

        headerName = HeaderName(headerName, family.Name, escaping);
        WriteRaw(output, "# HELP "u8);
        WriteString(output, headerName);
        WriteRaw(output, " "u8);
        WriteHelp(output, family.Help, openMetrics);
        WriteRaw(output, "\n# TYPE "u8);
        WriteString(output, headerName);
        WriteRaw(output, " "u8);
        WriteRaw(output, typeName);
        WriteRaw(output, "\n"u8);
        if (openMetrics && !string.IsNullOrEmpty(family.Unit))
        {
            WriteRaw(output, "# UNIT "u8);
            WriteString(output, headerName);
            WriteRaw(output, " "u8);
            WriteString(output, family.Unit);
            WriteRaw(output, "\n"u8);
        }
    }

    /// <summary>
    /// Writes a family's samples; true when some name was outside the classic set. With <paramref name="valueStarts"/>
    /// (one per sample), notes where each value starts, counting from <paramref name="written"/> at the first sample.
    /// </summary>
    private static bool WriteSamples(IBufferWriter<byte> output, MetricFamily family, EscapingScheme escaping, Span<int> valueStarts, int written)
    {
        bool escaped = !NameEscaper.IsClassicMetricName(family.Name);
        List<Sample> samples = family.SampleList;
        Dictionary<string, string>? escapedNames = null;
        for (int i = 0; i < samples.Count; i++)
        {
            Sample sample = samples[i];
            escaped |= !sample.Labels.HasClassicNames;
            string name = sample.Name;
            bool quotedName = false;
            if (!NameEscaper.IsClassicMetricName(name))
            {
                escaped = true;

                // A family's samples share a few names (_bucket, _count, _sum): each is escaped once per write.
                escapedNames ??= new Dictionary<string, string>(StringComparer.Ordinal);
                if (!escapedNames.TryGetValue(sample.Name, out string? escapedName))
                {
                    escapedName = escaping == EscapingScheme.AllowUtf8 ? Quote(sample.Name) : NameEscaper.EscapeMetricName(sample.Name, family.Name, escaping);
                    escapedNames.Add(sample.Name, escapedName);
                }

                name = escapedName;
                quotedName = escaping == EscapingScheme.AllowUtf8;
            }

            int line = WriteSample(output, sample, family.PidAt(i), name, quotedName, escaping, out int valueAt);
            if (!valueStarts.IsEmpty)
            {
                valueStarts[i] = written + valueAt;
            }

            written += line;
        }

        return escaped;
    }

    private static string HeaderName(string name, string familyName, EscapingScheme escaping)
    {
        if (NameEscaper.IsClassicMetricName(name))
        {
            return name;
        }

        return escaping == EscapingScheme.AllowUtf8 ? Quote(name) : NameEscaper.EscapeMetricName(name, familyName, escaping);
    }

    private static string Quote(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        NameEscaper.AppendQuoted(builder, name);
        return builder.ToString();
    }

    // A quoted (allow-utf-8) name goes inside the braces, first: {"my.metric",le="1.0"}. A pid (MetricFamily.SamplePids)
    // is written among the labels. Returns the line's length and where in it the value starts.
    private static int WriteSample(IBufferWriter<byte> output, in Sample sample, string? pid, string name, bool quotedName, EscapingScheme escaping, out int valueAt)
    {
        LabelSet labels = sample.Labels;
        PidLabels withPid = pid is null ? default : new PidLabels(labels, pid);
        int maxName = Encoding.UTF8.GetMaxByteCount(name.Length);
        int maxLabels = pid is null ? LabelBytes.MaxLength(labels, escaping) : withPid.MaxLength();
        Span<byte> span = output.GetSpan(maxName + maxLabels + GoFloat.MaxLength + 5);
        int n = 0;
        bool any = pid is not null || labels.Count > 0;
        if (quotedName)
        {
            span[n++] = (byte)'{';
            n += Encoding.UTF8.GetBytes(name, span[n..]);
            if (any)
            {
                span[n++] = (byte)',';
                n += pid is null ? LabelBytes.Write(labels, span[n..], escaping) : withPid.Write(span[n..]);
            }

            span[n++] = (byte)'}';
        }
        else
        {
            n += Encoding.UTF8.GetBytes(name, span);
            if (any)
            {
                span[n++] = (byte)'{';
                n += pid is null ? LabelBytes.Write(labels, span[n..], escaping) : withPid.Write(span[n..]);
                span[n++] = (byte)'}';
            }
        }

        span[n++] = (byte)' ';
        valueAt = n;
        n += WriteValue(sample.Value, span[n..]);
        span[n++] = (byte)'\n';
        output.Advance(n);
        return n;
    }

    private static void WriteHelp(IBufferWriter<byte> output, string help, bool escapeQuotes)
    {
        ReadOnlySpan<char> rest = help;
        while (!rest.IsEmpty)
        {
            int at = escapeQuotes ? rest.IndexOfAny('\\', '\n', '"') : rest.IndexOfAny('\\', '\n');
            if (at < 0)
            {
                WriteString(output, rest);
                return;
            }

            WriteString(output, rest[..at]);
            WriteRaw(output, rest[at] switch
            {
                '\\' => "\\\\"u8,
                '\n' => "\\n"u8,
                _ => "\\\""u8,
            });
            rest = rest[(at + 1)..];
        }
    }

    private static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        Span<byte> span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static void WriteRaw(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        Span<byte> span = output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        output.Advance(bytes.Length);
    }
}
