using Chorus.Aggregation;

namespace Chorus.Benchmarks.Scrape;

/// <summary>
/// <c>Chorus.Benchmarks torn-reads --dir DIR --seconds N</c>: collects DIR with a new reader each time for N seconds, so
/// every read is a file's first read, and prints the collections made and the problems reported, as one line (see
/// <c>bench/torn-reads/run.sh</c>, which runs it beside a writer appending to a fresh file again and again).
/// </summary>
internal static class TornReads
{
    public static int Run(string[] args)
    {
        if (TimingArguments.Parse(args, "torn-reads", 0, numbers: ["--seconds"]) is not { } arguments)
        {
            return 2;
        }

        var until = DateTime.UtcNow.AddSeconds(Math.Max(1, arguments.Number("--seconds")));
        int collections = 0;
        var problems = new List<string>();
        while (DateTime.UtcNow < until)
        {
            using MultiProcessDirectory reader = MultiProcessDirectory.Open(arguments.Directory);
            reader.CollectFamilies();
            collections++;
            problems.AddRange(reader.LastReport.Problems.Select(p => p.ToString()));
        }

        Console.WriteLine($"chorus collections {collections} problems {problems.Count} {string.Join(" | ", problems.Take(3))}");
        return 0;
    }
}
