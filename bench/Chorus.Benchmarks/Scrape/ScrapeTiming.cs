using System.Text.Json;

namespace Chorus.Benchmarks.Scrape;

/// <summary>
/// <c>Chorus.Benchmarks scrape-timing --dir DIR [--repeat N]</c>: in-process timings of one directory,
/// printed as one JSON line for <c>bench/scrape/run.sh</c>. A stopwatch harness rather than BenchmarkDotNet
/// because one cold merge of 10,000 files takes long enough to time directly, and "cold" must mean a fresh
/// reader every iteration.
/// </summary>
internal static class ScrapeTiming
{
    public static int Run(string[] args)
    {
        if (TimingArguments.Parse(args, "scrape-timing", 10) is not { } arguments)
        {
            return 2;
        }

        string directory = arguments.Directory;
        int repeats = arguments.Repeats;

        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach ((string name, double value) in MergeTiming.Measure(directory, repeats))
        {
            result[name] = value;
        }

        foreach ((string name, double value) in StageBreakdown.Measure(directory, repeats))
        {
            result["stage_" + name] = value;
        }

        result["repeats"] = repeats;
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
