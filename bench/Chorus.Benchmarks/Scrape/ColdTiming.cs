using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Benchmarks.Scrape;

/// <summary>
/// <c>Chorus.Benchmarks cold-timing --dir DIR [--repeat N]</c>: cold collections only (a fresh reader each time, as
/// one <c>chorus scrape</c> process does), printed as one JSON line: wall, process CPU, the calling thread's CPU (the
/// rest is the read-ahead thread's and the GC's), bytes allocated, GCs and GC pause time per collection. A full GC before each
/// collection so earlier readers' garbage is not collected during the timed one (a one-shot process has none).
/// </summary>
internal static partial class ColdTiming
{
    private const int RusageThread = 1;

    public static int Run(string[] args)
    {
        if (TimingArguments.Parse(args, "cold-timing", 15) is not { } arguments)
        {
            return 2;
        }

        string directory = arguments.Directory;
        int repeats = arguments.Repeats;

        var output = new ArrayBufferWriter<byte>(1 << 20);
        using (MultiProcessDirectory warmup = MultiProcessDirectory.Open(directory))
        {
            warmup.Collect(output, ExpositionFormat.PrometheusText);
        }

        var wall = new List<double>(repeats);
        var cpu = new List<double>(repeats);
        var callerCpu = new List<double>(repeats);
        var allocated = new List<double>(repeats);
        var gcs = new List<double>(repeats);
        var pauses = new List<double>(repeats);
        for (int i = 0; i < repeats; i++)
        {
            output.ResetWrittenCount();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            int gcBefore = GC.CollectionCount(0);
            TimeSpan pauseBefore = GC.GetTotalPauseDuration();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            double cpuBefore = ProcessCpu.Milliseconds();
            double threadBefore = ThreadCpu();
            long started = Stopwatch.GetTimestamp();
            using (MultiProcessDirectory source = MultiProcessDirectory.Open(directory))
            {
                source.Collect(output, ExpositionFormat.PrometheusText);
            }

            wall.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            callerCpu.Add(ThreadCpu() - threadBefore);
            cpu.Add(ProcessCpu.Milliseconds() - cpuBefore);
            allocated.Add(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
            gcs.Add(GC.CollectionCount(0) - gcBefore);
            pauses.Add((GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds);
        }

        var result = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["cold_median_ms"] = Median(wall),
            ["cold_min_ms"] = wall.Min(),
            ["cold_cpu_median_ms"] = Median(cpu),
            ["cold_caller_cpu_median_ms"] = Median(callerCpu),
            ["cold_allocated_mb"] = Median(allocated) / 1e6,
            ["cold_gen0_gcs"] = Median(gcs),
            ["cold_gc_pause_median_ms"] = Median(pauses),
            ["output_bytes"] = output.WrittenCount,
            ["repeats"] = repeats,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static double ThreadCpu()
    {
        Span<long> usage = stackalloc long[18];
        if (GetRusage(RusageThread, ref MemoryMarshal.GetReference(usage)) != 0)
        {
            return double.NaN;
        }

        return ((usage[0] + usage[2]) * 1e3) + ((usage[1] + usage[3]) / 1e3);
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, ref long usage);
}
