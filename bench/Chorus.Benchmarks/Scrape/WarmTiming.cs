using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using Chorus.Aggregation;
using Chorus.Exposition;
using Chorus.Files;

namespace Chorus.Benchmarks.Scrape;

/// <summary>
/// <c>Chorus.Benchmarks warm-timing --dir DIR [--repeat N] [--idle] [--live N] [--churn]</c>: warm collections only (one reader
/// reused, as <c>chorus serve</c> does), printed as one JSON line. <c>--idle</c> lets go of files as soon as they stop
/// changing, which is what a directory of dead workers' files looks like 30 s after they died: every file is
/// then read by path on each scrape. <c>--live N</c> changes one value in each of N counter files before every
/// collection (untimed), as N live workers would: their families are then merged again over every file.
/// <c>--churn</c> creates and deletes a file before every collection, as recycled workers do, so the directory is
/// listed (and kept files' identities checked) every time. The directory is modified in place by both. Long runs of this mode are what a profiler should look at.
/// </summary>
internal static class WarmTiming
{
    public static int Run(string[] args)
    {
        if (TimingArguments.Parse(args, "warm-timing", 30, switches: ["--idle", "--churn"], numbers: ["--live"]) is not { } arguments)
        {
            return 2;
        }

        string directory = arguments.Directory;
        int repeats = arguments.Repeats;
        bool idle = arguments.Has("--idle");
        bool churn = arguments.Has("--churn");
        int live = arguments.Number("--live");

        var options = new MultiProcessDirectoryOptions { KeptFileIdleTimeout = idle ? TimeSpan.Zero : TimeSpan.FromSeconds(30) };
        var output = new ArrayBufferWriter<byte>(1 << 20);
        var times = new List<double>(repeats);
        double cpuBefore;
        long allocated;
        using (MultiProcessDirectory source = MultiProcessDirectory.Open(directory, options))
        {
            source.Collect(output, ExpositionFormat.PrometheusText);
            source.Collect(output, ExpositionFormat.PrometheusText);
            long allocatedInCollections = 0;
            cpuBefore = ProcessCpu.Milliseconds();
            List<(string Path, int Offset)> liveValues = LiveValues(directory, live);
            long cpuWriting = 0;
            for (int i = 0; i < repeats; i++)
            {
                double writingStarted = ProcessCpu.Milliseconds();
                foreach ((string path, int offset) in liveValues)
                {
                    Increment(path, offset);
                }

                if (churn)
                {
                    // A name created and removed, as recycled workers do: the directory must be listed again.
                    string marker = Path.Combine(directory, "churn.tmp");
                    File.WriteAllBytes(marker, []);
                    File.Delete(marker);
                }

                cpuWriting += (long)(ProcessCpu.Milliseconds() - writingStarted);
                output.ResetWrittenCount();
                long allocatedBeforeCollect = GC.GetTotalAllocatedBytes(precise: true);
                long started = Stopwatch.GetTimestamp();
                source.Collect(output, ExpositionFormat.PrometheusText);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                allocatedInCollections += GC.GetTotalAllocatedBytes(precise: true) - allocatedBeforeCollect;
            }

            cpuBefore += cpuWriting;

            allocated = allocatedInCollections / repeats;
        }

        double cpu = (ProcessCpu.Milliseconds() - cpuBefore) / repeats;
        times.Sort();
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["warm_median_ms"] = times[times.Count / 2],
            ["warm_min_ms"] = times[0],
            ["warm_p90_ms"] = times[(int)(times.Count * 0.9)],
            ["warm_cpu_mean_ms"] = cpu,
            ["warm_allocated_bytes_all_threads"] = allocated,
            ["output_bytes"] = output.WrittenCount,
            ["idle"] = idle ? 1 : 0,
            ["live_files"] = live,
            ["churn"] = churn ? 1 : 0,
            ["repeats"] = repeats,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>The offset of the first value in each of the first <paramref name="count"/> counter files.</summary>
    private static List<(string Path, int Offset)> LiveValues(string directory, int count)
    {
        var found = new List<(string, int)>();
        foreach (string path in Directory.EnumerateFiles(directory, "counter_*.db").Order(StringComparer.Ordinal).Take(count))
        {
            byte[] bytes = File.ReadAllBytes(path);
            int used = DbFormat.ReadUsed(bytes);
            var reader = new DbEntryReader(bytes, DbLayoutDetector.Detect(bytes, used) ?? ValueLayout.Value8, used);
            if (reader.TryReadNext(out DbEntry entry))
            {
                found.Add((path, entry.ValueOffset));
            }
        }

        return found;
    }

    private static void Increment(string path, int offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        Span<byte> value = stackalloc byte[8];
        file.Position = offset;
        file.ReadExactly(value);
        BinaryPrimitives.WriteDoubleLittleEndian(value, BinaryPrimitives.ReadDoubleLittleEndian(value) + 1.0);
        file.Position = offset;
        file.Write(value);
    }
}
