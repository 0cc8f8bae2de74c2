using System.Buffers;
using System.Diagnostics;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Benchmarks.Scrape;

/// <summary>
/// In-process merge + exposition of a directory through the reader's public API
/// (<see cref="MultiProcessDirectory"/>): cold = a fresh reader per iteration, so every file is listed,
/// opened, read and every key parsed; warm = one reader reused, as <c>chorus serve</c> does.
/// </summary>
internal static class MergeTiming
{
    public static IEnumerable<(string Name, double Value)> Measure(string directory, int repeats)
    {
        var output = new ArrayBufferWriter<byte>(1 << 20);

        // One untimed pass so JIT and the page cache are warm for both modes, as for Python's timing.
        using (MultiProcessDirectory warmup = MultiProcessDirectory.Open(directory))
        {
            warmup.Collect(output, ExpositionFormat.PrometheusText);
        }

        var cold = new List<double>(repeats);
        var coldFamilies = new List<double>(repeats);
        var coldFamiliesCpu = new List<double>(repeats);
        CollectionReport? report = null;
        for (int i = 0; i < repeats; i++)
        {
            output.ResetWrittenCount();

            // The previous iterations' readers are garbage now: collect them untimed, so each cold pass is timed
            // as a fresh process would run it rather than paying for the last one's clean-up.
            CollectGarbage();
            var clock = Stopwatch.StartNew();
            using MultiProcessDirectory source = MultiProcessDirectory.Open(directory);
            source.Collect(output, ExpositionFormat.PrometheusText);
            cold.Add(clock.Elapsed.TotalMilliseconds);
            report = source.LastReport;

            // Process CPU time as well as wall time: the benchmark machine is shared, and CPU time is what
            // other processes' load inflates least.
            source.Dispose();
            CollectGarbage();
            double cpuBefore = ProcessCpu.Milliseconds();
            clock.Restart();
            using MultiProcessDirectory familiesOnly = MultiProcessDirectory.Open(directory);
            GC.KeepAlive(familiesOnly.CollectFamilies());
            coldFamilies.Add(clock.Elapsed.TotalMilliseconds);
            coldFamiliesCpu.Add(ProcessCpu.Milliseconds() - cpuBefore);
        }

        var warm = new List<double>(repeats);
        long allocatedWarm = 0;
        using (MultiProcessDirectory source = MultiProcessDirectory.Open(directory))
        {
            source.Collect(output, ExpositionFormat.PrometheusText);
            for (int i = 0; i < repeats; i++)
            {
                output.ResetWrittenCount();
                long before = GC.GetAllocatedBytesForCurrentThread();
                var clock = Stopwatch.StartNew();
                source.Collect(output, ExpositionFormat.PrometheusText);
                warm.Add(clock.Elapsed.TotalMilliseconds);
                allocatedWarm = GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        yield return ("cold_median_ms", Median(cold));
        yield return ("cold_min_ms", cold.Min());
        yield return ("cold_families_only_median_ms", Median(coldFamilies));
        yield return ("cold_families_only_cpu_median_ms", Median(coldFamiliesCpu));
        yield return ("warm_median_ms", Median(warm));
        yield return ("warm_min_ms", warm.Min());
        yield return ("warm_allocated_bytes", allocatedWarm);
        yield return ("output_bytes", output.WrittenCount);
        if (report is not null)
        {
            yield return ("files_read", report.FilesRead);
            yield return ("entries_parsed", report.EntriesParsed);
            yield return ("problems", report.Problems.Count);
        }
    }

    private static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
