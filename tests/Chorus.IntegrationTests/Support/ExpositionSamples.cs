using System.Globalization;

namespace Chorus.IntegrationTests.Support;

/// <summary>Reads the sample lines of a text exposition into "name{labels}" → value (enough for assertions).</summary>
internal static class ExpositionSamples
{
    public static Dictionary<string, double> Parse(string exposition)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            // Label values here never contain "} " or spaces, so the last space separates the value.
            int space = line.LastIndexOf(' ');
            string value = line[(space + 1)..];
            samples[line[..space]] = value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
        }

        return samples;
    }

    /// <summary>The sum of every sample whose name is <paramref name="name"/> (any labels).</summary>
    public static double Sum(Dictionary<string, double> samples, string name) =>
        samples.Where(s => s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(s => s.Value);
}
