
namespace Chorus.Tests.Compaction;

/// <summary>
/// Fills a directory with the files of several dead "processes" (identities w0, w1, ...): counters, histograms,
/// summaries, gauges of the foldable modes, live gauges and 'all' gauges, with random integral values.
/// </summary>
internal static class RandomWorkload
{
    public static readonly string[] Buckets = ["0.1", "1.0", "+Inf"];

    public static void Write(string directory, Random random, int processes, ValueLayout layout, string identityPrefix = "w")
    {
        for (int p = 0; p < processes; p++)
        {
            string id = identityPrefix + p;
            var counters = new List<(string, string, string[], string[], double, double)>();
            foreach (string path in new[] { "/a", "/b", "/c" }.Where(_ => random.Next(3) > 0))
            {
                counters.Add(("requests", "requests_total", ["path"], [path], random.Next(1, 1000), 0));
            }

            counters.Add(("errors", "errors_total", [], [], random.Next(0, 5), 0));
            TestDirectory.WriteDb(Path.Combine(directory, $"counter_{id}.db"), layout, counters);

            var histogram = new List<(string, string, string[], string[], double, double)>();
            foreach (string path in new[] { "/a", "/b" })
            {
                histogram.Add(("latency", "latency_sum", ["path"], [path], random.Next(0, 100), 0));
                foreach (string le in Buckets)
                {
                    histogram.Add(("latency", "latency_bucket", ["le", "path"], [le, path], random.Next(0, 50), 0));
                }
            }

            TestDirectory.WriteDb(Path.Combine(directory, $"histogram_{id}.db"), layout, histogram);
            TestDirectory.WriteDb(Path.Combine(directory, $"summary_{id}.db"), layout,
                [("size", "size_count", [], [], random.Next(0, 9), 0), ("size", "size_sum", [], [], random.Next(0, 900), 0)]);
            TestDirectory.WriteDb(Path.Combine(directory, $"gauge_max_{id}.db"), layout, [("peak", "peak", [], [], random.Next(-50, 50), 0)]);
            TestDirectory.WriteDb(Path.Combine(directory, $"gauge_min_{id}.db"), layout, [("low", "low", [], [], random.Next(-50, 50), 0)]);
            TestDirectory.WriteDb(Path.Combine(directory, $"gauge_sum_{id}.db"), layout, [("total", "total", ["k"], ["v"], random.Next(0, 50), 0)]);
            TestDirectory.WriteDb(Path.Combine(directory, $"gauge_livesum_{id}.db"), layout, [("inprogress", "inprogress", [], [], random.Next(0, 3), 0)]);
            TestDirectory.WriteDb(Path.Combine(directory, $"gauge_all_{id}.db"), layout, [("up", "up", [], [], 1, 0)]);
            if (layout == ValueLayout.ValueAndTimestamp16)
            {
                TestDirectory.WriteDb(Path.Combine(directory, $"gauge_mostrecent_{id}.db"), layout, [("last", "last", [], [], random.Next(0, 99), 1_700_000_000 + random.Next(0, 1000))]);
            }
        }
    }

    /// <summary>Families whose merged value compaction must not change (everything but live gauges).</summary>
    public static bool Preserved(string family) => family != "inprogress";
}
