using System.Globalization;
using System.Text;

namespace Chorus.IntegrationTests.Support;

/// <summary>Order-insensitive comparison of two expositions: same families, TYPE, HELP, samples and values.</summary>
internal static class ScrapeAssert
{
    private const int MaxListedDifferences = 25;

    /// <summary>Fails with every difference listed when <paramref name="actual"/> does not match <paramref name="expected"/>.</summary>
    /// <param name="expected">The reference (Python's) model.</param>
    /// <param name="actual">Chorus's model.</param>
    /// <param name="context">What is being compared, for the failure message.</param>
    public static void Equivalent(ScrapeModel expected, ScrapeModel actual, string context)
    {
        var differences = new List<string>();
        foreach (string duplicate in actual.Duplicates)
        {
            differences.Add($"duplicate sample in Chorus output: {duplicate}");
        }

        foreach ((string name, (string? type, string? help)) in expected.Families)
        {
            if (!actual.Families.TryGetValue(name, out var got))
            {
                differences.Add($"family missing: {name} ({type})");
                continue;
            }

            if (got.Type != type)
            {
                differences.Add($"family {name}: TYPE expected {type}, got {got.Type}");
            }

            if ((got.Help ?? string.Empty) != (help ?? string.Empty))
            {
                differences.Add($"family {name}: HELP expected {Show(help)}, got {Show(got.Help)}");
            }
        }

        foreach (string name in actual.Families.Keys.Where(n => !expected.Families.ContainsKey(n)))
        {
            differences.Add($"unexpected family: {name}");
        }

        foreach ((string id, double value) in expected.Samples)
        {
            if (!actual.Samples.TryGetValue(id, out double got))
            {
                differences.Add($"sample missing: {id} {Format(value)}");
            }
            else if (!ScrapeModel.ValuesAgree(value, got))
            {
                differences.Add($"sample {id}: expected {Format(value)}, got {Format(got)}");
            }
        }

        foreach ((string id, double value) in actual.Samples.Where(s => !expected.Samples.ContainsKey(s.Key)))
        {
            differences.Add($"unexpected sample: {id} {Format(value)}");
        }

        if (differences.Count > 0)
        {
            var message = new StringBuilder();
            message.Append(CultureInfo.InvariantCulture, $"{context}: {differences.Count} difference(s) between Python and Chorus ({expected.Samples.Count} expected samples, {actual.Samples.Count} actual):");
            foreach (string difference in differences.Take(MaxListedDifferences))
            {
                message.Append("\n  ").Append(difference);
            }

            Assert.Fail(message.ToString());
        }

        Assert.NotEmpty(expected.Samples);
    }

    private static string Show(string? text) => text is null ? "(none)" : "\"" + text.Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
