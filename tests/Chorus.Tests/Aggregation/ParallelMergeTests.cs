using System.Globalization;
using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A large merge folds and emits its families on several threads (<see cref="MergePartition"/>), each family on one
/// thread over every file in file order: the output must be byte for byte what one thread gives, for every fold (sums
/// that are not whole, min/max with NaN, mostrecent, all with the file's pid over a user label, histograms), when values
/// change, files come and go, and families change alone.
/// </summary>
public sealed class ParallelMergeTests
{
    private const int Writers = 6;

    [Fact]
    public void SplitMerge_WritesWhatOneThreadWrites()
    {
        using var dir = new TempDirectory();
        var random = new Random(11);
        for (int writer = 0; writer < Writers; writer++)
        {
            WriteWriter(dir, writer, random);
        }

        using MultiProcessDirectory split = Open(dir.Path, parallelFrom: 0);
        using MultiProcessDirectory oneThread = Open(dir.Path, parallelFrom: long.MaxValue);
        for (int step = 0; step < 6; step++)
        {
            string expected = DirectoryFixture.Text(oneThread);
            Assert.Equal(expected, DirectoryFixture.Text(split));
            Assert.Equal(1, oneThread.Diagnostics.LastMergeWorkers);
            if (step == 4)
            {
                // The histogram families alone were merged again.
                Assert.Equal(2, split.Diagnostics.LastFamiliesMerged);
            }
            if (step == 0)
            {
                // Every family merged: on as many threads as there are cores, up to the 7 groups of families that share
                // files (the counters, the histograms, each gauge mode).
                Assert.Equal(Math.Min(Environment.ProcessorCount, 7), split.Diagnostics.LastMergeWorkers);
                Assert.Contains("g_all{kind=\"x\",pid=\"4300001\",series=\"0\"}", expected, StringComparison.Ordinal);
                Assert.Contains("h0_bucket{le=\"+Inf\",series=\"2\"}", expected, StringComparison.Ordinal);
            }

            switch (step)
            {
                case 0:
                    // Every writer's values change.
                    for (int writer = 0; writer < Writers; writer++)
                    {
                        WriteWriter(dir, writer, random);
                    }

                    break;
                case 1:
                    File.Delete(dir.File(Name("gauge_max", 2)));
                    File.Delete(dir.File(Name("counter", 3)));
                    break;
                case 2:
                    WriteWriter(dir, Writers, random);
                    break;
                case 3:
                    // Only the histogram families change: the others keep their samples.
                    Histogram(random).WriteTo(dir.File(Name("histogram", 1)));
                    break;
                default:
                    WriteWriter(dir, random.Next(Writers), random);
                    break;
            }
        }
    }

    private static MultiProcessDirectory Open(string path, long parallelFrom) =>
        MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions { FreezeDeadFiles = false, ParallelMergeMinimumEntries = parallelFrom });

    private static string Name(string kind, int writer) => $"{kind}_{(4300000 + writer).ToString(CultureInfo.InvariantCulture)}.db";

    private static void WriteWriter(TempDirectory dir, int writer, Random random)
    {
        Counter(random).WriteTo(dir.File(Name("counter", writer)));
        Histogram(random).WriteTo(dir.File(Name("histogram", writer)));
        foreach (string mode in RandomDbFiles.Modes)
        {
            var gauge = new DbFileBuilder(ValueLayout.ValueAndTimestamp16, capacity: 1 << 14);
            for (int series = 0; series < 5; series++)
            {
                // A NaN now and then: it seeds min and max when first, and never replaces.
                double value = random.Next(6) == 0 ? double.NaN : Fraction(random) - 40;
                gauge.Add($"g_{mode}", $"g_{mode}", value, 1000 + random.Next(50), labels: [("kind", "x"), ("pid", "user"), ("series", series.ToString(CultureInfo.InvariantCulture))]);
            }

            gauge.WriteTo(dir.File(Name($"gauge_{mode}", writer)));
        }
    }

    /// <summary>Six counter families of 20 series.</summary>
    private static DbFileBuilder Counter(Random random)
    {
        var counter = new DbFileBuilder(ValueLayout.ValueAndTimestamp16, capacity: 1 << 16);
        for (int family = 0; family < 6; family++)
        {
            for (int series = 0; series < 20; series++)
            {
                counter.Add($"c{family}", $"c{family}_total", Fraction(random), labels: ("series", series.ToString(CultureInfo.InvariantCulture)));
            }
        }

        return counter;
    }

    /// <summary>Two histogram families of 4 series, three buckets each.</summary>
    private static DbFileBuilder Histogram(Random random)
    {
        var histogram = new DbFileBuilder(ValueLayout.ValueAndTimestamp16, capacity: 1 << 16);
        for (int family = 0; family < 2; family++)
        {
            for (int series = 0; series < 4; series++)
            {
                string s = series.ToString(CultureInfo.InvariantCulture);
                foreach (string le in new[] { "0.1", "1.0", "+Inf" })
                {
                    histogram.Add($"h{family}", $"h{family}_bucket", random.Next(5), labels: [("series", s), ("le", le)]);
                }

                histogram.Add($"h{family}", $"h{family}_sum", Fraction(random), labels: ("series", s));
            }
        }

        return histogram;
    }

    // Not whole numbers, so a sum in another order than file order would show in the output.
    private static double Fraction(Random random) => Math.Round(random.NextDouble() * 100, 3) + 0.1;
}
