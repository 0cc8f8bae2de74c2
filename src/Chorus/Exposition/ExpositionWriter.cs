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
/// </remarks>
internal static class ExpositionWriter
{
    /// <summary>Writes <paramref name="families"/> in order.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="families">The families, already in output order.</param>
    /// <param name="format">The format.</param>
    public static void Write(IBufferWriter<byte> output, IReadOnlyList<MetricFamily> families, ExpositionFormat format)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(families);
        for (int i = 0; i < families.Count; i++)
        {
            WriteFamily(output, families[i], format);
        }

        WriteEnd(output, format);
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
    public static void WriteFamily(IBufferWriter<byte> output, MetricFamily family, ExpositionFormat format)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(family);
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

        List<Sample> samples = family.SampleList;
        for (int i = 0; i < samples.Count; i++)
        {
            WriteSample(output, samples[i]);
        }
    }

    private static void WriteSample(IBufferWriter<byte> output, in Sample sample)
    {
        ReadOnlySpan<byte> labels = sample.Labels.RenderedUtf8;
        int maxName = Encoding.UTF8.GetMaxByteCount(sample.Name.Length);
        Span<byte> span = output.GetSpan(maxName + labels.Length + GoFloat.MaxLength + 4);
        int n = Encoding.UTF8.GetBytes(sample.Name, span);
        if (labels.Length > 0)
        {
            span[n++] = (byte)'{';
            labels.CopyTo(span[n..]);
            n += labels.Length;
            span[n++] = (byte)'}';
        }

        span[n++] = (byte)' ';
        n += GoFloat.Format(sample.Value, span[n..]);
        span[n++] = (byte)'\n';
        output.Advance(n);
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
