using System.Buffers;
using System.Diagnostics;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus;

/// <summary>
/// Serves another <see cref="IScrapeSource"/> followed by Chorus's own <c>chorus_*</c> metrics about serving it, written
/// by the same exposition writer as the source's families: <c>chorus_scrape_duration_seconds</c> (how long the source's
/// collection took) and, when the source reads a multiprocess directory (a <see cref="MultiProcessDirectory"/>, or a
/// <see cref="MetricRegistry"/> in multiprocess mode), <c>chorus_files</c> by state, <c>chorus_files_skipped_total</c>
/// by reason and <c>chorus_bytes_read_total</c>. The ASP.NET Core endpoint (and so <c>chorus serve</c>) serves its
/// source through one.
/// </summary>
/// <remarks>
/// <para>A family of the source named like a self-metric (with or without <c>_total</c>) wins: Chorus leaves its own out
/// (<see cref="FamiliesLeftOut"/>) and never changes what it serves on someone's behalf.</para>
/// <para>A source of another kind writes a whole exposition; it is collected into a buffer of this object's, which is
/// then copied without its OpenMetrics <c># EOF</c>. Thread-safe.</para>
/// </remarks>
public sealed class SelfMetricsSource : IScrapeSource
{
    // Each family is looked for under its name and with _total (a gauge named x_total shows as x once _total is cut).
    private static readonly string[] s_familyNames =
    [
        "chorus_scrape_duration_seconds", "chorus_scrape_duration_seconds_total",
        "chorus_files", "chorus_files_total",
        "chorus_files_skipped", "chorus_files_skipped_total",
        "chorus_bytes_read", "chorus_bytes_read_total",
    ];

    private static readonly FileProblemKind[] s_skipReasons = [FileProblemKind.UnrecognizedName, FileProblemKind.Vanished, FileProblemKind.Unreadable];

    private static readonly string[] s_fileStates = ["read", "damaged", "skipped"];

    private static readonly string[] s_skipReasonLabels = ["unrecognized_name", "vanished", "unreadable"];

    private static readonly string[][] s_leftOut = BuildLeftOutLists();

    private const int SpareBufferMaxBytes = 16 * 1024 * 1024;

    private readonly IScrapeSource _source;
    private readonly Lock _familiesGate = new();
    private readonly MetricFamily _duration = new("chorus_scrape_duration_seconds", MetricType.Gauge, "Seconds Chorus spent collecting this scrape.");
    private readonly MetricFamily _files = new("chorus_files", MetricType.Gauge, "Files in the multiprocess directory at the last scrape, by state (read, damaged: partly read, skipped).");
    private readonly MetricFamily _skipped = new("chorus_files_skipped", MetricType.Counter, "File skips by reason, summed over scrapes (a file skipped by every scrape counts each time).");
    private readonly MetricFamily _bytesRead = new("chorus_bytes_read", MetricType.Counter, "Bytes read from .db files, summed over scrapes.");
    private readonly long[] _skippedTotals = new long[s_skipReasons.Length];
    private long _bytesReadTotal;
    private int _lastLeftOut;
    private ArrayBufferWriter<byte>? _spareBuffer;

    /// <summary>Serves <paramref name="source"/> with the self-metrics after it.</summary>
    /// <param name="source">The source of the application's data.</param>
    public SelfMetricsSource(IScrapeSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _duration.SampleList.Add(new Sample("chorus_scrape_duration_seconds", LabelSet.Empty, 0));
        foreach (string state in s_fileStates)
        {
            _files.SampleList.Add(new Sample("chorus_files", LabelSet.Create(["state"], [state]), 0));
        }

        foreach (string reason in s_skipReasonLabels)
        {
            _skipped.SampleList.Add(new Sample("chorus_files_skipped_total", LabelSet.Create(["reason"], [reason]), 0));
        }

        _bytesRead.SampleList.Add(new Sample("chorus_bytes_read_total", LabelSet.Empty, 0));
    }

    /// <summary>The report of the directory collection the last scrape served, or null when the source reads no directory.</summary>
    public CollectionReport? LastReport { get; private set; }

    /// <summary>The self-metric families the last scrape left out because the source has families of those names.</summary>
    public IReadOnlyList<string> FamiliesLeftOut => s_leftOut[Volatile.Read(ref _lastLeftOut)];

    /// <summary>Collects the source and writes its exposition, then the self-metrics, in <paramref name="format"/>.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    public void Collect(IBufferWriter<byte> output, ExpositionFormat format) => Collect(output, format, EscapingScheme.Underscores);

    /// <summary>Collects the source and writes its exposition, then the self-metrics, in <paramref name="format"/>.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    public void Collect(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping) => CollectWithTailLength(output, format, escaping);

    /// <summary>
    /// Collects as <see cref="Collect(IBufferWriter{byte}, ExpositionFormat, EscapingScheme)"/> does and says where the
    /// source's data ends: the self-metrics and the end of the exposition, written last, change on every scrape while the
    /// data's bytes may stay the same (a host that keeps the data compressed between scrapes cuts there).
    /// </summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    /// <returns>How many of the bytes written, the last ones, are the self-metrics and the end of the exposition.</returns>
    public int CollectWithTailLength(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping)
    {
        ArgumentNullException.ThrowIfNull(output);
        int present;
        CollectionReport? report = null;
        TimeSpan duration;
        if (_source is IFamilySource families)
        {
            long started = Stopwatch.GetTimestamp();
            present = families.WriteFamilies(output, format, escaping, s_familyNames, out report);
            duration = Stopwatch.GetElapsedTime(started);
        }
        else
        {
            present = CopyExposition(output, format, escaping, out duration);
        }

        if (report is not null)
        {
            Account(report);
            LastReport = report;
        }

        // Two names per family (x, x_total): a family is left out when either is taken.
        int leftOut = 0;
        for (int family = 0; family < s_familyNames.Length / 2; family++)
        {
            if ((present & (3 << (2 * family))) != 0)
            {
                leftOut |= 1 << family;
            }
        }

        Volatile.Write(ref _lastLeftOut, leftOut);
        var tail = new CountingBufferWriter(output);
        WriteSelfMetrics(tail, format, escaping, report, duration, leftOut);
        ExpositionWriter.WriteEnd(tail, format);
        return tail.Written;
    }

    private static string[][] BuildLeftOutLists()
    {
        var lists = new string[16][];
        for (int mask = 0; mask < lists.Length; mask++)
        {
            var names = new List<string>();
            for (int family = 0; family < 4; family++)
            {
                if ((mask & (1 << family)) != 0)
                {
                    names.Add(s_familyNames[2 * family]);
                }
            }

            lists[mask] = [.. names];
        }

        return lists;
    }

    /// <summary>Collects a source of another kind into a buffer, looks for the self-metrics' names and copies it without its <c># EOF</c>.</summary>
    private int CopyExposition(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping, out TimeSpan duration)
    {
        ArrayBufferWriter<byte> buffer = Interlocked.Exchange(ref _spareBuffer, null) ?? new ArrayBufferWriter<byte>();
        try
        {
            long started = Stopwatch.GetTimestamp();
            _source.Collect(buffer, format, escaping);
            duration = Stopwatch.GetElapsedTime(started);
            ReadOnlySpan<byte> exposition = buffer.WrittenSpan;
            if (format == ExpositionFormat.OpenMetrics && exposition.EndsWith("# EOF\n"u8))
            {
                exposition = exposition[..^"# EOF\n"u8.Length];
            }

            output.Write(exposition);
            return FamilyNameSearch.InTypeLines(exposition, s_familyNames);
        }
        finally
        {
            // One buffer is kept for the next scrape, unless an exceptional exposition made it big.
            if (buffer.Capacity <= SpareBufferMaxBytes)
            {
                buffer.ResetWrittenCount();
                Volatile.Write(ref _spareBuffer, buffer);
            }
        }
    }

    // Each scrape's report is its own collection's, so summing them counts every read once.
    private void Account(CollectionReport report)
    {
        Interlocked.Add(ref _bytesReadTotal, report.BytesRead);
        for (int i = 0; i < s_skipReasons.Length; i++)
        {
            int count = report.Count(s_skipReasons[i]);
            if (count > 0)
            {
                Interlocked.Add(ref _skippedTotals[i], count);
            }
        }
    }

    private void WriteSelfMetrics(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping, CollectionReport? report, TimeSpan duration, int leftOut)
    {
        // The families are reused by every scrape: one scrape at a time fills and writes them.
        lock (_familiesGate)
        {
            if ((leftOut & 1) == 0)
            {
                SetValue(_duration, 0, duration.TotalSeconds);
                ExpositionWriter.WriteFamily(output, _duration, format, escaping);
            }

            if (report is null)
            {
                return;
            }

            if ((leftOut & 2) == 0)
            {
                int damaged = report.Count(FileProblemKind.Damaged);
                SetValue(_files, 0, report.FilesRead - damaged);
                SetValue(_files, 1, damaged);
                SetValue(_files, 2, report.FilesListed - report.FilesRead);
                ExpositionWriter.WriteFamily(output, _files, format, escaping);
            }

            if ((leftOut & 4) == 0)
            {
                for (int i = 0; i < s_skipReasons.Length; i++)
                {
                    SetValue(_skipped, i, Volatile.Read(ref _skippedTotals[i]));
                }

                ExpositionWriter.WriteFamily(output, _skipped, format, escaping);
            }

            if ((leftOut & 8) == 0)
            {
                SetValue(_bytesRead, 0, Interlocked.Read(ref _bytesReadTotal));
                ExpositionWriter.WriteFamily(output, _bytesRead, format, escaping);
            }
        }
    }

    private static void SetValue(MetricFamily family, int sample, double value) =>
        family.SampleList[sample] = family.SampleList[sample] with { Value = value };
}
