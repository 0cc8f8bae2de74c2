using System.Globalization;

namespace Chorus.IntegrationTests.Support;

/// <summary>
/// Reads the sample lines of a text exposition into "name{labels}" → value (enough for assertions). Strict where
/// leniency would hide a defect: a series served twice throws, and so does a sum over a name that is not there.
/// </summary>
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
            string series = line[..space];
            double parsed = value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            if (!samples.TryAdd(series, parsed))
            {
                throw new InvalidDataException($"The exposition serves {series} twice.");
            }
        }

        return samples;
    }

    /// <summary>Whether any sample is named <paramref name="name"/> (any labels).</summary>
    public static bool Contains(Dictionary<string, double> samples, string name) => Named(samples, name).Any();

    /// <summary>The sum of every sample named <paramref name="name"/> (any labels); throws when there is none, so a vanished series cannot pass as 0.</summary>
    public static double Sum(Dictionary<string, double> samples, string name)
    {
        var named = Named(samples, name).ToList();
        return named.Count > 0 ? named.Sum(s => s.Value) : throw new InvalidDataException($"No sample named {name} in the exposition.");
    }

    private static IEnumerable<KeyValuePair<string, double>> Named(Dictionary<string, double> samples, string name) =>
        samples.Where(s => s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal));
}
