using System.Diagnostics;
using System.Text;

namespace Chorus.Aggregation;

/// <summary>
/// Where one collection's time went, stage by stage (<see cref="CollectionStage"/>), for finding what a warm collection
/// still pays for. A stage timed inside another (a frozen file's place given up during a read) is counted in both.
/// Written after each collection when <c>CHORUS_DEBUG_STAGE_TIMES</c> is set (<c>1</c>: to standard error; else the path
/// of a file to append to, for a server whose standard error goes nowhere); otherwise it only costs two timestamp reads
/// per stage.
/// </summary>
/// <param name="label">What the line starts with.</param>
internal sealed class CollectionStageTimes(string label = "chorus stages us:")
{
    /// <summary>The environment variable that turns the per-collection line on standard error on.</summary>
    public const string Variable = "CHORUS_DEBUG_STAGE_TIMES";

    private static readonly string[] Names = Enum.GetNames<CollectionStage>();
    private readonly long[] _ticks = new long[Names.Length];
    private readonly int[] _counts = new int[Names.Length];

    private static readonly string? Destination = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>Whether each collection's stage times are written (<see cref="Write()"/>).</summary>
    public static bool Written => Destination is not null;

    // The process's garbage collector at the last line written: the next line says what happened since (the scrape's
    // gzip and HTTP work included), since a collection that allocates pays for it in pauses and in pages zeroed again.
    private static (long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan Paused) s_lastGc;

    /// <summary>Writes the line (<see cref="ToString"/>) where <see cref="Variable"/> says, if it is set.</summary>
    public void Write() => Write(label);

    /// <summary>As <see cref="Write()"/>, the line starting with <paramref name="lineLabel"/> (a collection of another kind).</summary>
    public void Write(string lineLabel)
    {
        if (Destination is null)
        {
            return;
        }

        WriteNote(Line(lineLabel) + GcSinceLastLine());
    }

    /// <summary>Writes <paramref name="line"/> where <see cref="Variable"/> says, if it is set: what else a collection's time depends on.</summary>
    public static void WriteNote(string line)
    {
        if (Destination == "1")
        {
            Console.Error.WriteLine(line);
        }
        else if (Destination is not null)
        {
            try
            {
                File.AppendAllText(Destination, line + Environment.NewLine);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A diagnostic line that cannot be written (a full disk, say) is lost; the collection or preparation that
                // wrote it goes on.
            }
        }
    }

    /// <summary>
    /// " | allocated=…KiB gc=gen0/gen1/gen2 paused=…us heap=…KiB fragmented=…KiB committed=…KiB": the process's garbage
    /// collection since the last line, and its heap as the last collection left it (what of the process's anonymous memory
    /// is live, free within the heap, or committed beyond both).
    /// </summary>
    private static string GcSinceLastLine()
    {
        (long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan Paused) now =
            (GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        (long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan Paused) last = s_lastGc;
        s_lastGc = now;
        GCMemoryInfo heap = GC.GetGCMemoryInfo();
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $" | allocated={(now.Allocated - last.Allocated) / 1024}KiB gc={now.Gen0 - last.Gen0}/{now.Gen1 - last.Gen1}/{now.Gen2 - last.Gen2} paused={(now.Paused - last.Paused).Ticks / 10}us heap={heap.HeapSizeBytes / 1024}KiB fragmented={heap.FragmentedBytes / 1024}KiB committed={heap.TotalCommittedBytes / 1024}KiB");
    }

    /// <summary>Forgets the last collection's times.</summary>
    public void Clear()
    {
        Array.Clear(_ticks);
        Array.Clear(_counts);
    }

    /// <summary>Counts the time since <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp) to <paramref name="stage"/>; returns now.</summary>
    public long Add(CollectionStage stage, long started)
    {
        long now = Stopwatch.GetTimestamp();
        _ticks[(int)stage] += now - started;
        _counts[(int)stage]++;
        return now;
    }

    /// <summary>The time spent in <paramref name="stage"/> by the last collection.</summary>
    public TimeSpan this[CollectionStage stage] => Stopwatch.GetElapsedTime(0, _ticks[(int)stage]);

    /// <summary>How many times <paramref name="stage"/> was timed by the last collection.</summary>
    public int CountOf(CollectionStage stage) => _counts[(int)stage];

    /// <summary>One line: each stage timed, in microseconds, and how often when more than once.</summary>
    public override string ToString() => Line(label);

    private string Line(string lineLabel)
    {
        var line = new StringBuilder(lineLabel);
        for (int i = 0; i < Names.Length; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }

            line.Append(' ').Append(Names[i]).Append('=').Append((Stopwatch.GetElapsedTime(0, _ticks[i]).Ticks / 10.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture));
            if (_counts[i] > 1)
            {
                line.Append('x').Append(_counts[i]);
            }
        }

        return line.ToString();
    }
}
