using Chorus.Files;
using FsCheck.Xunit;

namespace Chorus.Tests.Aggregation;

public class ReaderPropertyTests
{
    [Property(MaxTest = 150)]
    public bool ArbitraryBytes_NeverThrowAndNeverCostTheNeighbour(byte[] noise, int usedHint)
    {
        noise ??= [];
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        byte[] bytes = noise;
        if (noise.Length >= 8 && usedHint % 2 == 0)
        {
            // Half the cases get a plausible header, so the walk reaches the entries.
            DbFormat.WriteUsed(bytes, Math.Abs(usedHint % (noise.Length + 64)));
        }

        File.WriteAllBytes(dir.File("gauge_max_2.db"), bytes);
        File.WriteAllBytes(dir.File("histogram_3.db"), bytes);
        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        return samples["good_total{}"] == 5.0 && report.FilesListed == 3;
    }

    [Property(MaxTest = 250)]
    public bool MutatedValidFile_KeepsEveryEntryBeforeTheDamage(byte position, byte value, bool eightByteLayout)
    {
        using var dir = new TempDirectory();
        ValueLayout layout = eightByteLayout ? ValueLayout.Value8 : ValueLayout.ValueAndTimestamp16;
        var builder = new DbFileBuilder(layout, capacity: 512);
        var ends = new List<int>();
        int end = DbFormat.HeaderSize;
        for (int i = 0; i < 4; i++)
        {
            // Values two bytes apart ("00", "11", ...): one mutated byte cannot turn a later key into an
            // earlier one (which would be summed with it, correctly, as Python does).
            string label = new string((char)('0' + i), 2);
            builder.Add("c", "c_total", i + 1, labels: ("n", label));
            end += DbFormat.EntrySize(DbKey.Encode("c", "c_total", ["n"], [label], "help").Length, layout);
            ends.Add(end);
        }

        byte[] bytes = builder.Build();
        int at = DbFormat.HeaderSize + (position % (DbFormat.ReadUsed(bytes) - DbFormat.HeaderSize));
        bytes[at] = value;
        File.WriteAllBytes(dir.File("counter_1.db"), bytes);

        var (samples, _, _) = DirectoryFixture.Scrape(dir.Path);

        // Entries wholly before the damaged byte are intact; nothing beyond the four written appears.
        int intact = ends.Count(e => e <= at);
        return samples.Count <= 4 && Enumerable.Range(0, intact).All(i => samples.GetValueOrDefault($"c_total{{n=\"{i}{i}\"}}") == i + 1);
    }

    [Property(MaxTest = 60)]
    public bool DbEntryReaderAndScan_NeverThrowOnArbitraryBytes(byte[] data, int used, int start)
    {
        data ??= [];
        DbFileScan.Scan(data, data.Length);
        foreach (ValueLayout layout in new[] { ValueLayout.Value8, ValueLayout.ValueAndTimestamp16 })
        {
            var reader = new DbEntryReader(data, layout, used, Math.Clamp(start, 0, Math.Max(0, data.Length)));
            int guard = 0;
            while (reader.TryReadNext(out DbEntry entry) && guard++ < 10_000)
            {
                if (entry.ValueOffset + (int)layout > data.Length)
                {
                    return false;
                }
            }
        }

        return true;
    }

    [Property(MaxTest = 60)]
    public bool MergeOfNFiles_EqualsTheirSum(double[][] perFile)
    {
        perFile ??= [];
        double[][] files = perFile.Where(f => f is not null).Take(8).Select(f => f.Where(double.IsFinite).Take(4).ToArray()).ToArray();
        using var dir = new TempDirectory();
        var expected = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int f = 0; f < files.Length; f++)
        {
            var builder = new DbFileBuilder(f % 2 == 0 ? ValueLayout.ValueAndTimestamp16 : ValueLayout.Value8);
            for (int s = 0; s < files[f].Length; s++)
            {
                string label = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
                builder.Add("c", "c_total", files[f][s], labels: ("s", label));
                string key = $"c_total{{s=\"{label}\"}}";
                expected[key] = expected.GetValueOrDefault(key) + files[f][s];
            }

            // Files are read in name order (counter_0 .. counter_7), the order the sum above used.
            builder.WriteTo(dir.File($"counter_{f}.db"));
        }

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        return report.Problems.Count == 0 && samples.Count == expected.Count && expected.All(e => samples[e.Key].Equals(e.Value));
    }
}
