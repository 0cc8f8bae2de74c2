using System.Buffers;
using System.Globalization;
using Chorus.AspNetCore.Buffers;
using Chorus.Exposition;
using Microsoft.Extensions.Logging;

namespace Chorus.AspNetCore.SelfMetrics;

/// <summary>
/// Appends the <c>chorus_*</c> self-metrics after the application's data. A family the application already exposes
/// under the same name is left out (the application's data wins: Chorus never drops or corrupts what it serves on
/// someone's behalf), and that is logged once.
/// </summary>
internal sealed class SelfMetricsWriter
{
    private static ReadOnlySpan<byte> OpenMetricsEof => "# EOF\n"u8;

    private static ReadOnlySpan<byte> SelfTypePrefix => "# TYPE chorus_"u8;

    private readonly ILogger _logger;
    private int _collisionLogged;

    public SelfMetricsWriter(IScrapeSource source, ILogger logger)
    {
        _ = source;
        _logger = logger;
    }

    public void Append(PooledBufferWriter body, ExpositionFormat format, TimeSpan collectDuration)
    {
        bool openMetrics = format == ExpositionFormat.OpenMetrics;
        if (openMetrics && body.WrittenSpan.EndsWith(OpenMetricsEof))
        {
            body.Truncate(body.WrittenCount - OpenMetricsEof.Length);
        }

        // The common case (no chorus_* family in the application's data) costs one vectorised search.
        bool mayCollide = body.WrittenSpan.IndexOf(SelfTypePrefix) >= 0;
        var writer = new ExpositionLineWriter(body, openMetrics);
        if (!mayCollide || !HasFamily(body.WrittenSpan, "chorus_scrape_duration_seconds"u8))
        {
            writer.Family("chorus_scrape_duration_seconds"u8, "gauge"u8, "Seconds Chorus spent collecting this scrape."u8);
            writer.Sample("chorus_scrape_duration_seconds"u8, default, default, collectDuration.TotalSeconds);
        }
        else
        {
            LogCollisionOnce("chorus_scrape_duration_seconds");
        }

        if (openMetrics)
        {
            body.Write(OpenMetricsEof);
        }
    }

    /// <summary>True when <paramref name="exposition"/> has a <c># TYPE</c> line for <paramref name="family"/> (or its <c>_total</c> form).</summary>
    internal static bool HasFamily(ReadOnlySpan<byte> exposition, ReadOnlySpan<byte> family)
    {
        ReadOnlySpan<byte> rest = exposition;
        while (true)
        {
            int at = rest.IndexOf(SelfTypePrefix);
            if (at < 0)
            {
                return false;
            }

            bool lineStart = at == 0 || rest[at - 1] == (byte)'\n';
            ReadOnlySpan<byte> name = rest[(at + "# TYPE "u8.Length)..];
            int end = name.IndexOf((byte)' ');
            if (end > 0)
            {
                name = name[..end];
                if (lineStart && (name.SequenceEqual(family) || (name.EndsWith("_total"u8) && name[..^"_total"u8.Length].SequenceEqual(family))))
                {
                    return true;
                }
            }

            rest = rest[(at + SelfTypePrefix.Length)..];
        }
    }

    private void LogCollisionOnce(string family)
    {
        if (Interlocked.Exchange(ref _collisionLogged, 1) == 0)
        {
            _logger.LogWarning("The served data already has a {Family} family; Chorus leaves its own self-metric of that name out.", family);
        }
    }

    /// <summary>Writes metadata and sample lines for the few self-metric families, in either text format.</summary>
    private readonly ref struct ExpositionLineWriter(IBufferWriter<byte> output, bool openMetrics)
    {
        /// <summary>Writes HELP and TYPE; OpenMetrics names a counter family without its <c>_total</c> suffix.</summary>
        public void Family(ReadOnlySpan<byte> sampleName, ReadOnlySpan<byte> type, ReadOnlySpan<byte> help)
        {
            ReadOnlySpan<byte> name = openMetrics && type.SequenceEqual("counter"u8) && sampleName.EndsWith("_total"u8)
                ? sampleName[..^"_total"u8.Length]
                : sampleName;
            output.Write("# HELP "u8);
            output.Write(name);
            output.Write(" "u8);
            output.Write(help);
            output.Write("\n# TYPE "u8);
            output.Write(name);
            output.Write(" "u8);
            output.Write(type);
            output.Write("\n"u8);
        }

        public void Sample(ReadOnlySpan<byte> name, ReadOnlySpan<byte> labelName, ReadOnlySpan<byte> labelValue, double value)
        {
            output.Write(name);
            if (!labelName.IsEmpty)
            {
                output.Write("{"u8);
                output.Write(labelName);
                output.Write("=\""u8);
                output.Write(labelValue);
                output.Write("\"}"u8);
            }

            output.Write(" "u8);
            Span<byte> digits = output.GetSpan(32);
            int length = FormatValue(digits, value);
            output.Advance(length);
            output.Write("\n"u8);
        }

        private static int FormatValue(Span<byte> destination, double value)
        {
            if (double.IsPositiveInfinity(value))
            {
                "+Inf"u8.CopyTo(destination);
                return 4;
            }

            // Shortest round-trip text; both formats accept Go ParseFloat syntax for sample values.
            if (!value.TryFormat(destination, out int written, "R", CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException("32 bytes always hold a formatted double.");
            }

            return written;
        }
    }
}
