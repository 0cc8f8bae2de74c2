using System.Buffers;
using System.Globalization;
using Chorus.Aggregation;
using Chorus.AspNetCore.Buffers;
using Chorus.Exposition;
using Microsoft.Extensions.Logging;

namespace Chorus.AspNetCore.SelfMetrics;

/// <summary>
/// Appends the <c>chorus_*</c> self-metrics after the application's data: the scrape's collection time and, when the
/// source is a <see cref="MultiProcessDirectory"/>, files by state, files skipped by reason and bytes read, from its
/// <see cref="CollectionReport"/>. A family the application already exposes under the same name is left out (the
/// application's data wins: Chorus never drops or corrupts what it serves on someone's behalf), which is logged once.
/// </summary>
internal sealed class SelfMetricsWriter
{
    private static readonly FileProblemKind[] s_skipReasons = [FileProblemKind.UnrecognizedName, FileProblemKind.Vanished, FileProblemKind.Unreadable];

    private readonly MultiProcessDirectory? _directory;
    private readonly ProblemLog _problemLog;
    private readonly ILogger _logger;
    private readonly long[] _skipped = new long[s_skipReasons.Length];
    private CollectionReport? _lastCounted;
    private long _bytesRead;
    private int _collisionLogged;

    public SelfMetricsWriter(IScrapeSource source, ILogger logger)
    {
        _directory = source as MultiProcessDirectory;
        _logger = logger;
        _problemLog = new ProblemLog(logger);
    }

    private static ReadOnlySpan<byte> OpenMetricsEof => "# EOF\n"u8;

    private static ReadOnlySpan<byte> SelfTypePrefix => "# TYPE chorus_"u8;

    public void Append(PooledBufferWriter body, ExpositionFormat format, TimeSpan collectDuration)
    {
        CollectionReport? report = _directory?.LastReport;
        if (report is not null)
        {
            Account(report);
        }

        bool openMetrics = format == ExpositionFormat.OpenMetrics;
        if (openMetrics && body.WrittenSpan.EndsWith(OpenMetricsEof))
        {
            body.Truncate(body.WrittenCount - OpenMetricsEof.Length);
        }

        // The common case (no chorus_* family in the application's data) costs one vectorised search.
        bool mayCollide = body.WrittenSpan.IndexOf(SelfTypePrefix) >= 0;
        var writer = new ExpositionLineWriter(body, openMetrics);
        if (Wanted(body, mayCollide, "chorus_scrape_duration_seconds"u8))
        {
            writer.Family("chorus_scrape_duration_seconds"u8, "gauge"u8, "Seconds Chorus spent collecting this scrape."u8);
            writer.Sample("chorus_scrape_duration_seconds"u8, default, default, collectDuration.TotalSeconds);
        }

        if (report is not null)
        {
            if (Wanted(body, mayCollide, "chorus_files"u8))
            {
                int damaged = report.Count(FileProblemKind.Damaged);
                writer.Family("chorus_files"u8, "gauge"u8, "Files in the multiprocess directory at the last scrape, by state (read, damaged: partly read, skipped)."u8);
                writer.Sample("chorus_files"u8, "state"u8, "read"u8, report.FilesRead - damaged);
                writer.Sample("chorus_files"u8, "state"u8, "damaged"u8, damaged);
                writer.Sample("chorus_files"u8, "state"u8, "skipped"u8, report.FilesListed - report.FilesRead);
            }

            if (Wanted(body, mayCollide, "chorus_files_skipped_total"u8))
            {
                writer.Family("chorus_files_skipped_total"u8, "counter"u8, "File skips by reason, summed over scrapes (a file skipped by every scrape counts each time)."u8);
                for (int i = 0; i < s_skipReasons.Length; i++)
                {
                    writer.Sample("chorus_files_skipped_total"u8, "reason"u8, ReasonLabel(s_skipReasons[i]), Volatile.Read(ref _skipped[i]));
                }
            }

            if (Wanted(body, mayCollide, "chorus_bytes_read_total"u8))
            {
                writer.Family("chorus_bytes_read_total"u8, "counter"u8, "Bytes read from .db files, summed over scrapes."u8);
                writer.Sample("chorus_bytes_read_total"u8, default, default, Interlocked.Read(ref _bytesRead));
            }
        }

        if (openMetrics)
        {
            body.Write(OpenMetricsEof);
        }
    }

    /// <summary>True when <paramref name="exposition"/> has a <c># TYPE</c> line for <paramref name="family"/> (or its <c>_total</c> form).</summary>
    internal static bool HasFamily(ReadOnlySpan<byte> exposition, ReadOnlySpan<byte> family)
    {
        ReadOnlySpan<byte> bare = family.EndsWith("_total"u8) ? family[..^"_total"u8.Length] : family;
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
                ReadOnlySpan<byte> nameBare = name.EndsWith("_total"u8) ? name[..^"_total"u8.Length] : name;
                if (lineStart && nameBare.SequenceEqual(bare))
                {
                    return true;
                }
            }

            rest = rest[(at + SelfTypePrefix.Length)..];
        }
    }

    private static ReadOnlySpan<byte> ReasonLabel(FileProblemKind kind) => kind switch
    {
        FileProblemKind.UnrecognizedName => "unrecognized_name"u8,
        FileProblemKind.Vanished => "vanished"u8,
        FileProblemKind.Unreadable => "unreadable"u8,
        _ => "damaged"u8,
    };

    // Concurrent scrapes may read the same LastReport; each report is counted (and logged) once.
    private void Account(CollectionReport report)
    {
        CollectionReport? previous = Volatile.Read(ref _lastCounted);
        if (ReferenceEquals(previous, report) || !ReferenceEquals(Interlocked.CompareExchange(ref _lastCounted, report, previous), previous))
        {
            return;
        }

        Interlocked.Add(ref _bytesRead, report.BytesRead);
        for (int i = 0; i < s_skipReasons.Length; i++)
        {
            int count = report.Count(s_skipReasons[i]);
            if (count > 0)
            {
                Interlocked.Add(ref _skipped[i], count);
            }
        }

        _problemLog.Observe(report);
    }

    private bool Wanted(PooledBufferWriter body, bool mayCollide, ReadOnlySpan<byte> family)
    {
        if (!mayCollide || !HasFamily(body.WrittenSpan, family))
        {
            return true;
        }

        if (Interlocked.Exchange(ref _collisionLogged, 1) == 0)
        {
            _logger.LogWarning(
                "The served data already has a {Family} family; Chorus leaves its own self-metric of that name out (and any other that collides).",
                System.Text.Encoding.UTF8.GetString(family));
        }

        return false;
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

            // Shortest round-trip text; both formats accept Go ParseFloat syntax for sample values.
            if (!value.TryFormat(digits, out int written, "R", CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException("32 bytes always hold a formatted double.");
            }

            output.Advance(written);
            output.Write("\n"u8);
        }
    }
}
