namespace Chorus.IntegrationTests.Writer;

/// <summary>Reads raw per-file values of a directory, independent of the merge code under test elsewhere.</summary>
internal static class DirectoryValues
{
    /// <summary>Sum over every <paramref name="pattern"/> file of the entries whose key equals <paramref name="key"/>.</summary>
    public static double Sum(string directory, string pattern, string key)
    {
        double total = 0;
        foreach (string path in Directory.GetFiles(directory, pattern))
        {
            foreach ((string k, double v) in Read(path))
            {
                if (k == key)
                {
                    total += v;
                }
            }
        }

        return total;
    }

    /// <summary>The merged value of <paramref name="sample"/> (all label sets summed) as the Chorus reader serves it.</summary>
    public static double Merged(string directory, string sample)
    {
        using Chorus.Aggregation.MultiProcessDirectory reader = Chorus.Aggregation.MultiProcessDirectory.Open(directory);
        return reader.CollectFamilies().SelectMany(f => f.Samples).Where(s => s.Name == sample).Sum(s => s.Value);
    }

    /// <summary>Every entry of <paramref name="path"/>, read by the test library's reference reader (not the product's scan).</summary>
    public static List<(string Key, double Value)> Read(string path) =>
        [.. ReferenceDbFile.ReadEitherLayout(File.ReadAllBytes(path)).Entries.Select(e => (e.Key, e.Value))];
}
