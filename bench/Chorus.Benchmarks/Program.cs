using BenchmarkDotNet.Running;
using Chorus.Benchmarks.Scrape;

namespace Chorus.Benchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "scrape-timing")
        {
            return ScrapeTiming.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "cold-timing")
        {
            return ColdTiming.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "warm-timing")
        {
            return WarmTiming.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "gzip-body-timing")
        {
            return GzipBodyTiming.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "torn-reads")
        {
            return TornReads.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
