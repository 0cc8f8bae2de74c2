using System.Globalization;
using System.Text;
using Chorus.Aggregation;
using Chorus.Exposition;
using Chorus.Files;
using FsCheck.Xunit;

using static Chorus.Tests.Aggregation.RandomDbFiles;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A family whose entries changed only in value is merged per changed slot (<c>ChangedSlots</c>) and its samples emitted in
/// place: the warm reader must still be a fresh reader byte for byte, and the edits must name exactly the samples that changed.
/// </summary>
public class ChangedSlotsTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(10);

    // PIDs above any this machine hands out, so files without a writer are dead (and freeze).
    private const int FakePids = 4_200_000;
    private static readonly string[] Bounds = ["0.5", "1.0", "+Inf"];

    /// <summary>
    /// Live writers change random values of counters, cumulative (or not) histograms and gauges of every mode, beside dead
    /// files that freeze: whole counts (exact sums), fractions, sums past 2^53, NaN, infinities, signed zeros, and gauge
    /// timestamps (0 leaves a mostrecent gauge without a sample). After every change the warm reader equals a fresh one, and
    /// each family's edits list exactly the samples whose value changed.
    /// </summary>
    [Property(MaxTest = 30)]
    public bool ValueChanges_KeepTheWarmReaderEqualToAFreshOne_AndTheEditsExact(int seed)
    {
        var random = new Random(seed);
        string mode = Modes[Math.Abs(seed % Modes.Length)];
        bool accumulate = seed % 2 == 0;
        int dead = Math.Abs(seed % 3) == 0 ? 3 : 0;
        using var dir = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        var writers = new Dictionary<string, MappedTestWriter>(StringComparer.Ordinal);
        using var mirror = new TempDirectory();
        try
        {
            // Dead processes on even PIDs, live ones on odd PIDs between them, so file order interleaves the two.
            for (int p = 0; p < 4 + dead; p++)
            {
                int pid = p < 4 ? FakePids + (2 * p) + 1 : FakePids + (2 * (p - 4));
                foreach (string name in new[] { $"counter_{pid}.db", $"histogram_{pid}.db", $"gauge_{mode}_{pid}.db" })
                {
                    files[name] = NewFile(name, random);
                    if (p >= 4)
                    {
                        // Dead files' sums are exact or not, so frozen parts decide whether a live change can be swapped in.
                        files[name] = [.. files[name].Select(e => e with { Value = DeadValue(random) })];
                    }

                    File.WriteAllBytes(dir.File(name), Build(files[name]));
                    if (p < 4)
                    {
                        writers[name] = new MappedTestWriter(dir.File(name));
                    }
                }
            }

            Thread.Sleep(Settle * 2);
            bool splitSlots = Math.Abs(seed % 3) == 1;
            using MultiProcessDirectory reader = Open(dir.Path, accumulate, splitMerge: seed % 4 == 1, splitSlots);
            for (int i = 0; i < 4 && reader.Diagnostics.FrozenFileCount != 3 * dead; i++)
            {
                DirectoryFixture.Text(reader);
            }

            int updated = 0;
            int frozenSumsRefolded = 0;
            int slotWorkers = 1;
            Dictionary<string, Sample[]> before = Copy(reader.Diagnostics.LastFamilies);
            Dictionary<string, int> editsIn = reader.Diagnostics.LastFamilies.ToDictionary(f => f.Name, f => f.Edits.In, StringComparer.Ordinal);
            for (int step = 0; step < 24; step++)
            {
                ChangeValues(files, writers, random);
                string warm = DirectoryFixture.Text(reader);
                Assert.Equal(Fresh(Mirror(mirror, files), accumulate), warm);
                Assert.True(EditsExact(before, editsIn, reader.Diagnostics.LastFamilies), $"edits of step {step}");

                updated += reader.Diagnostics.LastSlotsUpdated;
                frozenSumsRefolded += reader.Diagnostics.LastFrozenSumsRefolded;
                slotWorkers = Math.Max(slotWorkers, reader.Diagnostics.LastSlotWorkers);
                before = Copy(reader.Diagnostics.LastFamilies);
            }

            // The test means nothing unless slots were updated in place (sums beside frozen parts among them when files
            // froze), frozen files stayed frozen, and a split update ran on several threads.
            Assert.Equal(3 * dead, reader.Diagnostics.FrozenFileCount);
            Assert.True(!splitSlots || Environment.ProcessorCount < 2 || slotWorkers > 1, "the per-slot update never split");
            return updated > 0 && (dead == 0 || frozenSumsRefolded > 0);
        }
        finally
        {
            foreach (MappedTestWriter writer in writers.Values)
            {
                writer.Dispose();
            }
        }
    }

    /// <summary>
    /// Live writers' fractional histogram <c>_sum</c>s between dead files' fractional ones, which freeze (the shape of
    /// bench/scrape/gen_dir.py with bench/serve/live_writer.py): each change is folded again in place with the frozen values
    /// between the live ones in file order, bit for bit what a fresh reader's fold over every file gives.
    /// </summary>
    [Fact]
    public void FractionalSums_BesideFrozenFractions_AreFoldedInPlace_AsAFreshReaderFolds()
    {
        var random = new Random(11);
        using var dir = new TempDirectory();
        using var mirror = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        var writers = new Dictionary<string, MappedTestWriter>(StringComparer.Ordinal);
        try
        {
            // Dead processes on even PIDs, live ones on odd PIDs, so the live sums sit between frozen ones in file order.
            for (int pid = FakePids; pid < FakePids + 12; pid++)
            {
                string name = $"histogram_{pid}.db";
                files[name] = [.. NewFile(name, random).Select(e => IsSum(e) ? e with { Value = Fraction(random) } : e)];
                File.WriteAllBytes(dir.File(name), Build(files[name]));
                if (pid % 2 == 1)
                {
                    writers[name] = new MappedTestWriter(dir.File(name));
                }
            }

            Thread.Sleep(Settle * 2);
            using MultiProcessDirectory reader = Open(dir.Path, accumulate: true, splitMerge: false);
            for (int i = 0; i < 4 && reader.Diagnostics.FrozenFileCount != 6; i++)
            {
                DirectoryFixture.Text(reader);
            }

            int refolded = 0;
            for (int step = 0; step < 8; step++)
            {
                foreach ((string name, MappedTestWriter writer) in writers)
                {
                    files[name] = [.. files[name].Select(e => IsSum(e) ? e with { Value = Fraction(random) } : e)];
                    writer.Write(Build(files[name]));
                }

                Assert.Equal(Fresh(Mirror(mirror, files), accumulate: true), DirectoryFixture.Text(reader));
                refolded += reader.Diagnostics.LastFrozenSumsRefolded;
            }

            // Both sums of every change from the fourth on: the first merges in full (files froze), the second starts
            // tracking the family's sums, the third lists the inexact ones.
            Assert.Equal(6, reader.Diagnostics.FrozenFileCount);
            Assert.Equal(2 * 5, refolded);
        }
        finally
        {
            foreach (MappedTestWriter writer in writers.Values)
            {
                writer.Dispose();
            }
        }

        static double Fraction(Random random) => (random.NextDouble() * 500) + 1e-9;
    }

    /// <summary>
    /// Live writers of one layout change their fractional <c>_sum</c>s, beside one writer whose file lacks the first
    /// group's <c>_sum</c> (so its second <c>_sum</c> sits at another entry): a listed sum held by every file shares the
    /// family's list of files, one held at the same entry everywhere names one entry, and every fold from those lists is
    /// what a fresh reader's fold over every file gives.
    /// </summary>
    [Fact]
    public void ListedSums_ShareTheFamilysFiles_AndOneEntry_WhereTheWritersShareThem()
    {
        var random = new Random(17);
        using var dir = new TempDirectory();
        using var mirror = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        var writers = new Dictionary<string, MappedTestWriter>(StringComparer.Ordinal);
        try
        {
            for (int p = 0; p < 7; p++)
            {
                string name = $"histogram_{FakePids + (2 * p) + 1}.db";
                List<Entry> entries = NewFile(name, random);
                if (p == 3)
                {
                    entries.RemoveAt(entries.FindIndex(IsSum));
                }

                files[name] = entries;
                File.WriteAllBytes(dir.File(name), Build(entries));
                writers[name] = new MappedTestWriter(dir.File(name));
            }

            Thread.Sleep(Settle * 2);
            using MultiProcessDirectory reader = Open(dir.Path, accumulate: true, splitMerge: false);
            for (int step = 0; step < 8; step++)
            {
                foreach ((string name, MappedTestWriter writer) in writers)
                {
                    files[name] = [.. files[name].Select(e => IsSum(e) ? e with { Value = (random.NextDouble() * 500) + 1e-9 } : e)];
                    writer.Write(Build(files[name]));
                }

                Assert.Equal(Fresh(Mirror(mirror, files), accumulate: true), DirectoryFixture.Text(reader));
            }

            // The first _sum: its own files (the odd writer lacks it), one entry. The second: the family's files, an
            // entry per file.
            Assert.Equal((2, 1, 1), reader.Diagnostics.ListedContributions);
            Assert.True(reader.Diagnostics.LastSlotsUpdated > 0, "the sums were never folded again in place");
        }
        finally
        {
            foreach (MappedTestWriter writer in writers.Values)
            {
                writer.Dispose();
            }
        }
    }

    /// <summary>
    /// A live sum ranked inside the dead files' exact run (2^52 and 1, folded as one sum before every file) turns into a
    /// fraction: the run is no longer exact with it, so the fold in place must give way to a file-order fold (2^52 + 0.5
    /// rounds to 2^52 before the 1 comes, where the run's sum plus 0.5 would round up to 2^52 + 2).
    /// </summary>
    [Fact]
    public void A_LiveFraction_InsideAFrozenExactRun_IsFoldedInFileOrder()
    {
        using var dir = new TempDirectory();
        using var mirror = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        var writers = new Dictionary<string, MappedTestWriter>(StringComparer.Ordinal);
        try
        {
            // Dead, live (inside the run), dead, dead (a fraction: it ends the run), live (after the run, inexact).
            double[] sums = [4503599627370496.0, 2.0, 1.0, 0.3, 0.7];
            for (int p = 0; p < sums.Length; p++)
            {
                string name = $"histogram_{FakePids + p}.db";
                files[name] = [.. NewFile(name, new Random(p)).Select(e => IsSum(e) ? e with { Value = sums[p] } : e)];
                File.WriteAllBytes(dir.File(name), Build(files[name]));
                if (p is 1 or 4)
                {
                    writers[name] = new MappedTestWriter(dir.File(name));
                }
            }

            Thread.Sleep(Settle * 2);
            using MultiProcessDirectory reader = Open(dir.Path, accumulate: true, splitMerge: false);
            for (int i = 0; i < 4 && reader.Diagnostics.FrozenFileCount != 3; i++)
            {
                DirectoryFixture.Text(reader);
            }

            // The sums after the run change until their slots are listed (the family is not exact), then the one inside it.
            string after = $"histogram_{FakePids + 4}.db";
            string inside = $"histogram_{FakePids + 1}.db";
            foreach ((string name, double value) in new[] { (after, 0.9), (after, 1.1), (after, 1.3), (after, 1.5), (inside, 0.5) })
            {
                files[name] = [.. files[name].Select(e => IsSum(e) ? e with { Value = value } : e)];
                writers[name].Write(Build(files[name]));
                Assert.Equal(Fresh(Mirror(mirror, files), accumulate: true), DirectoryFixture.Text(reader));
            }

            Assert.Equal(3, reader.Diagnostics.FrozenFileCount);
        }
        finally
        {
            foreach (MappedTestWriter writer in writers.Values)
            {
                writer.Dispose();
            }
        }
    }

    [Fact]
    public void Edits_NameTheChangedSample_TheLaterCumulativeBuckets_AndTheCount()
    {
        using var dir = new TempDirectory();
        var files = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        var writers = new Dictionary<string, MappedTestWriter>(StringComparer.Ordinal);
        try
        {
            foreach (string name in new[] { "counter_11.db", "counter_12.db", "histogram_11.db", "histogram_12.db", "gauge_all_11.db", "gauge_all_12.db" })
            {
                List<Entry> entries = NewFile(name, new Random(1));
                files[name] = [.. entries.Select(e => e with { Value = 1.0, Timestamp = 5.0 })];
                File.WriteAllBytes(dir.File(name), Build(files[name]));
                writers[name] = new MappedTestWriter(dir.File(name));
            }

            using MultiProcessDirectory reader = Open(dir.Path, accumulate: true, splitMerge: false);
            DirectoryFixture.Text(reader);

            // Thrice: the files are kept from their second read, and the first value change of a sum makes the full merge
            // keep what the per-slot path needs.
            for (int round = 1; round <= 3; round++)
            {
                SetValue(files, writers, "counter_12.db", 1, 1.0 + round);                  // c_total{k="1"}
                SetValue(files, writers, "histogram_11.db", 0, 1.0 + round);                // h_bucket{k="0",le="0.5"}
                SetValue(files, writers, "histogram_12.db", 7, 0.5 + round);                // h_sum{k="1"}
                SetValue(files, writers, "gauge_all_12.db", 2, 7.0 + round);                // g{k="2",pid="12"}
                DirectoryFixture.Text(reader);
            }

            Assert.Equal(4, reader.Diagnostics.LastSlotsUpdated);
            Assert.Equal([1], ChangedOf(reader, "c"));

            // Group k=0: three cumulative buckets, _count, _sum (0-4); group k=1 the same (5-9).
            Assert.Equal([0, 1, 2, 3, 9], ChangedOf(reader, "h"));

            // g{k=0..2} of pid 11 (0, 2, 4) and of pid 12 (1, 3, 5), in label order.
            Assert.Equal([5], ChangedOf(reader, "g"));

            // And the values are a fresh reader's (the live files cannot freeze: their writers hold them).
            Assert.Equal(Fresh(dir.Path, accumulate: true), DirectoryFixture.Text(reader));
        }
        finally
        {
            foreach (MappedTestWriter writer in writers.Values)
            {
                writer.Dispose();
            }
        }
    }

    private static bool IsSum(Entry entry) => Encoding.UTF8.GetString(entry.Key).Contains("\"h_sum\"", StringComparison.Ordinal);

    private static int[] ChangedOf(MultiProcessDirectory reader, string family)
    {
        SampleEdits edits = reader.Diagnostics.LastFamilies.Single(f => f.Name == family).Edits;
        Assert.NotEqual(0, edits.In);
        return [.. edits.Changed];
    }

    /// <summary>Three counters, two histogram groups of three buckets and a <c>_sum</c>, three gauges; the same keys in every process.</summary>
    private static List<Entry> NewFile(string name, Random random)
    {
        List<Entry> entries = [];
        for (int k = 0; k < (name.StartsWith("histogram_", StringComparison.Ordinal) ? 2 : 3); k++)
        {
            string label = k.ToString(CultureInfo.InvariantCulture);
            if (name.StartsWith("counter_", StringComparison.Ordinal))
            {
                entries.Add(new Entry(Key("c", "c_total", ("k", label)), Whole(random), 0.0));
            }
            else if (name.StartsWith("histogram_", StringComparison.Ordinal))
            {
                foreach (string bound in Bounds)
                {
                    entries.Add(new Entry(Key("h", "h_bucket", ("k", label), ("le", bound)), Whole(random), 0.0));
                }

                entries.Add(new Entry(Key("h", "h_sum", ("k", label)), Whole(random) / 4, 0.0));
            }
            else
            {
                entries.Add(new Entry(Key("g", "g", ("k", label)), Whole(random), 1000 + random.Next(1000)));
            }
        }

        return entries;
    }

    /// <summary>Changes a few random entries of the live files through their writers (values only: the keys stay).</summary>
    private static void ChangeValues(Dictionary<string, List<Entry>> files, Dictionary<string, MappedTestWriter> writers, Random random)
    {
        string[] live = [.. writers.Keys.Order(StringComparer.Ordinal)];
        for (int n = 1 + random.Next(4); n > 0; n--)
        {
            string name = live[random.Next(live.Length)];
            List<Entry> entries = files[name];
            int i = random.Next(entries.Count);
            double stamp = random.Next(6) == 0 ? 0.0 : entries[i].Timestamp + random.Next(-2, 4);
            entries[i] = entries[i] with { Value = ChangedValue(entries[i].Value, random), Timestamp = stamp };
        }

        foreach (string name in live)
        {
            writers[name].Write(Build(files[name]));
        }
    }

    private static void SetValue(Dictionary<string, List<Entry>> files, Dictionary<string, MappedTestWriter> writers, string name, int entry, double value)
    {
        files[name][entry] = files[name][entry] with { Value = value };
        writers[name].Write(Build(files[name]));
    }

    private static double Whole(Random random) => random.Next(50);

    // Mostly whole counts, so some frozen parts are exact sums and a live change can be swapped in beside them.
    private static double DeadValue(Random random) => random.Next(6) switch
    {
        < 4 => Whole(random),
        4 => Math.Round(random.NextDouble() * 10, 2) + 0.1,
        _ => 4503599627370497.0,
    };

    // Mostly whole steps (sums stay exact), then fractions, values past 2^53, and the values no sum keeps exact.
    private static double ChangedValue(double value, Random random) => random.Next(12) switch
    {
        < 5 => double.IsFinite(value) && Math.Abs(value) < 1e6 ? value + random.Next(1, 4) : random.Next(100),
        5 or 6 => Math.Round(random.NextDouble() * 100, 3) + 0.1,
        7 => 9007199254740993.0 + (2 * random.Next(3)),
        8 => random.Next(2) == 0 ? -0.0 : 0.0,
        9 => double.NaN,
        10 => random.Next(2) == 0 ? double.PositiveInfinity : double.NegativeInfinity,
        _ => -random.Next(100),
    };

    /// <summary>
    /// True when every family whose edits are new since <paramref name="before"/> differs from it exactly at the listed
    /// samples (same names and labels), and every other family kept its samples or was emitted anew (edits invalid).
    /// </summary>
    private static bool EditsExact(Dictionary<string, Sample[]> before, Dictionary<string, int> editsIn, IReadOnlyList<MetricFamily> families)
    {
        foreach (MetricFamily family in families)
        {
            if (!before.TryGetValue(family.Name, out Sample[]? old) || family.Edits.In == 0)
            {
                editsIn[family.Name] = family.Edits.In;
                continue;
            }

            List<Sample> now = family.SampleList;
            if (now.Count != old.Length)
            {
                return false;
            }

            var differing = new List<int>();
            for (int i = 0; i < now.Count; i++)
            {
                if (now[i].Name != old[i].Name || !now[i].Labels.Equals(old[i].Labels))
                {
                    return false;
                }

                if (BitConverter.DoubleToInt64Bits(now[i].Value) != BitConverter.DoubleToInt64Bits(old[i].Value))
                {
                    differing.Add(i);
                }
            }

            // Edits from an earlier collection (the family not merged since) leave the samples as they were.
            bool current = editsIn.TryGetValue(family.Name, out int lastIn) && lastIn == family.Edits.In ? differing.Count == 0 : differing.SequenceEqual(family.Edits.Changed);
            editsIn[family.Name] = family.Edits.In;
            if (!current)
            {
                return false;
            }
        }

        return true;
    }

    private static Dictionary<string, Sample[]> Copy(IReadOnlyList<MetricFamily> families) =>
        families.ToDictionary(f => f.Name, f => f.SampleList.ToArray(), StringComparer.Ordinal);

    private static string Mirror(TempDirectory mirror, Dictionary<string, List<Entry>> files)
    {
        foreach (string old in Directory.GetFiles(mirror.Path))
        {
            File.Delete(old);
        }

        foreach ((string name, List<Entry> entries) in files)
        {
            File.WriteAllBytes(mirror.File(name), Build(entries));
        }

        return mirror.Path;
    }

    private static MultiProcessDirectory Open(string path, bool accumulate, bool splitMerge, bool splitSlots = false) =>
        MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions
        {
            ListingSettleTime = Settle,
            Accumulate = accumulate,
            ParallelMergeMinimumEntries = splitMerge ? 0 : MultiProcessDirectoryOptions.Default.ParallelMergeMinimumEntries,
            ParallelSlotUpdateMinimumChanges = splitSlots ? 0 : MultiProcessDirectoryOptions.Default.ParallelSlotUpdateMinimumChanges,
        });

    private static string Fresh(string path, bool accumulate)
    {
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions { MaxKeptFiles = 0, Accumulate = accumulate });
        return DirectoryFixture.Text(fresh);
    }

    private static byte[] Key(string family, string sample, params (string Name, string Value)[] labels) =>
        DbKey.Encode(family, sample, [.. labels.Select(l => l.Name)], [.. labels.Select(l => l.Value)], "help");
}
