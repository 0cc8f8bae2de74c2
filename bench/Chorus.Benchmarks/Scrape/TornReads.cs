using Chorus.Aggregation;

namespace Chorus.Benchmarks.Scrape;

/// <summary>
/// <c>Chorus.Benchmarks torn-reads --dir DIR --seconds N [--one-reader]</c>: collects DIR with a new reader each time for N
/// seconds, so every read is a file's first read, or with one reader throughout, as a server does (a file replaced under
/// its name is read by path again, then from its mapping), and prints the collections made and the problems reported,
/// as one line (see <c>bench/torn-reads/run.sh</c>, which runs it beside a writer appending to a fresh file again and again).
/// </summary>
internal static class TornReads
{
    public static int Run(string[] args)
    {
        if (TimingArguments.Parse(args, "torn-reads", 0, switches: ["--one-reader"], numbers: ["--seconds"]) is not { } arguments)
        {
            return 2;
        }

        bool oneReader = arguments.Has("--one-reader");
        var until = DateTime.UtcNow.AddSeconds(Math.Max(1, arguments.Number("--seconds")));
        int collections = 0;
        var problems = new List<string>();
        MultiProcessDirectory? kept = null;
        while (DateTime.UtcNow < until)
        {
            MultiProcessDirectory reader = kept ?? MultiProcessDirectory.Open(arguments.Directory);
            reader.CollectFamilies();
            collections++;
            problems.AddRange(reader.LastReport.Problems.Select(p => p.ToString()));
            if (oneReader)
            {
                kept = reader;
            }
            else
            {
                reader.Dispose();
            }
        }

        kept?.Dispose();
        Console.WriteLine($"chorus{(oneReader ? " one reader" : "")} collections {collections} problems {problems.Count} {string.Join(" | ", problems.Take(3))}");
        return 0;
    }
}
