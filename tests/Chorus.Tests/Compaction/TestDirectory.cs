using System.Globalization;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Compaction;

/// <summary>A temporary metrics directory with helpers to write .db files and to read it the way Chorus does.</summary>
internal sealed class TestDirectory : IDisposable
{
    private readonly TempDirectory _temp = new();

    public string Path => _temp.Path;

    public void Dispose() => _temp.Dispose();

    /// <summary>Writes one .db file with the given entries (key parts → value, timestamp), with the test library's reference writer.</summary>
    public static void WriteDb(string path, ValueLayout layout, IEnumerable<(string Family, string Sample, string[] Names, string[] Values, double Value, double Timestamp)> entries)
    {
        var builder = new DbFileBuilder(layout);
        foreach ((string family, string sample, string[] names, string[] values, double value, double timestamp) in entries)
        {
            builder.Add(family, sample, value, timestamp, family + " help", [.. names.Zip(values)]);
        }

        builder.WriteTo(path);
    }

    /// <summary>Every .db file name and its bytes, for "nothing changed" checks.</summary>
    public Dictionary<string, string> Snapshot() =>
        Directory.EnumerateFiles(Path).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).ToDictionary(f => System.IO.Path.GetFileName(f)!, f => Convert.ToBase64String(File.ReadAllBytes(f)), StringComparer.Ordinal);

    /// <summary>The merged view Chorus's reader gives: "sample{labels}" → value.</summary>
    public static SortedDictionary<string, double> ChorusView(string directory, Func<string, bool>? familyFilter = null)
    {
        using MultiProcessDirectory source = MultiProcessDirectory.Open(directory);
        IReadOnlyList<MetricFamily> families = source.CollectFamilies();
        if (source.LastReport.DirectoryError is { } error)
        {
            throw new InvalidOperationException(error);
        }

        var view = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (MetricFamily family in families.Where(f => familyFilter?.Invoke(f.Name) ?? true))
        {
            foreach (Sample sample in family.Samples)
            {
                view[sample.Name + sample.Labels.ToString()] = sample.Value;
            }
        }

        return view;
    }

    public static string Format(IReadOnlyDictionary<string, double> view) =>
        string.Join("\n", view.Select(kv => $"{kv.Key} {kv.Value.ToString("R", CultureInfo.InvariantCulture)}"));
}
