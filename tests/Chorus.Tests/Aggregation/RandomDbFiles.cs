using System.Globalization;
using Chorus.Files;

namespace Chorus.Tests.Aggregation;

/// <summary>Small random <c>.db</c> files of every kind, for property tests that change a directory step by step.</summary>
internal static class RandomDbFiles
{
    public static readonly string[] Modes = ["livesum", "max", "min", "mostrecent", "all"];

    /// <summary>Writes a new random file for process <paramref name="pid"/> (nothing when its name is taken).</summary>
    public static void AddFile(TempDirectory dir, Dictionary<string, List<Entry>> files, Random random, int pid, Func<Random, double>? value = null)
    {
        string id = pid.ToString(CultureInfo.InvariantCulture);
        string name = random.Next(4) switch
        {
            0 => $"counter_{id}.db",
            1 => $"histogram_{id}.db",
            _ => $"gauge_{Modes[random.Next(Modes.Length)]}_{id}.db",
        };
        AddFile(dir, files, random, name, value);
    }

    /// <summary>Writes a new random file named <paramref name="name"/> (nothing when the name is taken).</summary>
    public static void AddFile(TempDirectory dir, Dictionary<string, List<Entry>> files, Random random, string name, Func<Random, double>? value = null)
    {
        if (files.ContainsKey(name))
        {
            return;
        }

        List<Entry> entries = [];
        for (int i = 0; i < 1 + random.Next(4); i++)
        {
            entries.Add(NewEntry(name, random, random.Next(6), value));
        }

        File.WriteAllBytes(dir.File(name), Build(entries));
        files[name] = entries;
    }

    public static Entry NewEntry(string fileName, Random random, int series, Func<Random, double>? value = null)
    {
        string label = (series % 6).ToString(CultureInfo.InvariantCulture);
        (string, string)[] labels = [("k", label)];
        byte[] key = fileName.StartsWith("counter_", StringComparison.Ordinal) ? Key("c", "c_total", labels)
            : fileName.StartsWith("histogram_", StringComparison.Ordinal)
                ? (series % 3) switch
                {
                    0 => Key("h", "h_sum", labels),
                    1 => Key("h", "h_bucket", [.. labels, ("le", "0.5")]),
                    _ => Key("h", "h_bucket", [.. labels, ("le", "+Inf")]),
                }
                // Every gauge file writes the same families: which mode wins depends on the files present.
                : Key(series % 2 == 0 ? "g" : "other", series % 2 == 0 ? "g" : "other", labels);
        return new Entry(key, (value ?? NextValue)(random), 1000 + random.Next(1000));
    }

    // Not whole numbers, so summing in another order than a fresh reader would show; and often 0, as
    // prometheus_client writes every new series, which leaves a value-only comparison nothing to notice.
    public static double NextValue(Random random) => random.Next(4) == 0 ? 0.0 : Math.Round(random.NextDouble() * 100, 3) + 0.1;

    public static byte[] Build(List<Entry> entries)
    {
        var builder = new DbFileBuilder(capacity: 4096);
        foreach (Entry entry in entries)
        {
            builder.AddRaw(entry.Key, entry.Value, entry.Timestamp);
        }

        return builder.Build();
    }

    /// <summary>
    /// Changes the removal sidecar of the file at <paramref name="path"/>: one of its series removed (a Chorus writer's
    /// list), another instead, the removals taken back, or a list that names another file (a handover rewrite's, which
    /// removes nothing from this one).
    /// </summary>
    public static void ChangeRemovalList(string path, List<Entry> entries, Random random)
    {
        string sidecar = DbRemovedKeys.PathFor(path);
        Entry removed = entries[random.Next(entries.Count)];
        switch (File.Exists(sidecar) ? random.Next(3) : 1)
        {
            case 0:
                File.Delete(sidecar);
                break;
            case 1:
                DbRemovedKeys.Write(path, [removed.Key]);
                break;
            default:
                DbRemovedKeys.Write(path, [removed.Key], ulong.MaxValue);
                break;
        }
    }

    private static byte[] Key(string family, string sample, (string Name, string Value)[] labels) =>
        DbKey.Encode(family, sample, labels.Select(l => l.Name).ToArray(), labels.Select(l => l.Value).ToArray(), "help");

    public sealed record Entry(byte[] Key, double Value, double Timestamp);
}
