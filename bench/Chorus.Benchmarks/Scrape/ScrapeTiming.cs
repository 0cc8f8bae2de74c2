using System.Globalization;
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
        string? directory = null;
        int repeats = 10;
        for (int i = 0; i < args.Length - 1; i += 2)
        {
            switch (args[i])
            {
                case "--dir":
                    directory = args[i + 1];
                    break;
                case "--repeat":
                    repeats = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }

        if (directory is null || !Directory.Exists(directory))
        {
            Console.Error.WriteLine("usage: Chorus.Benchmarks scrape-timing --dir DIR [--repeat N]");
            return 2;
        }

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
