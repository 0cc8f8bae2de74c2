using System.Globalization;

namespace Chorus.TestSupport;

/// <summary>
/// Compares two expositions semantically: the same families (TYPE, HELP) and the same samples
/// (name + label set → value) in any order, values within a relative tolerance, NaN equal to NaN.
/// Histogram <c>le</c> values compare as numbers (prometheus_client 0.16 spells 1e10 as <c>1e+010</c>).
/// </summary>
public static class ExpositionComparer
{
    /// <summary>Returns the differences, empty when the expositions agree.</summary>
    public static List<string> Diff(string expected, string actual, double relativeTolerance = 1e-9)
    {
        Dictionary<string, ParsedFamily> want = Index(ExpositionParser.Parse(expected));
        Dictionary<string, ParsedFamily> got = Index(ExpositionParser.Parse(actual));
        var diffs = new List<string>();
        foreach (string name in want.Keys.Union(got.Keys).Order(StringComparer.Ordinal))
        {
            if (!want.TryGetValue(name, out ParsedFamily? w))
            {
                diffs.Add($"unexpected family {name}");
                continue;
            }

            if (!got.TryGetValue(name, out ParsedFamily? g))
            {
                diffs.Add($"missing family {name}");
                continue;
            }

            if (w.Type != g.Type)
            {
                diffs.Add($"{name}: TYPE {g.Type}, expected {w.Type}");
            }

            if (w.Help != g.Help)
            {
                diffs.Add($"{name}: HELP '{g.Help}', expected '{w.Help}'");
            }

            Dictionary<string, double> ws = Samples(w);
            Dictionary<string, double> gs = Samples(g);
            foreach (string key in ws.Keys.Union(gs.Keys).Order(StringComparer.Ordinal))
            {
                if (!ws.TryGetValue(key, out double x))
                {
                    diffs.Add($"unexpected sample {key}");
                }
                else if (!gs.TryGetValue(key, out double y))
                {
                    diffs.Add($"missing sample {key}");
                }
                else if (!Close(x, y, relativeTolerance))
                {
                    diffs.Add($"{key} = {y.ToString("R", CultureInfo.InvariantCulture)}, expected {x.ToString("R", CultureInfo.InvariantCulture)}");
                }
            }
        }

        return diffs;
    }

    private static bool Close(double x, double y, double tolerance)
    {
        if (double.IsNaN(x) || double.IsNaN(y))
        {
            return double.IsNaN(x) && double.IsNaN(y);
        }

        if (x.Equals(y))
        {
            return true;
        }

        return Math.Abs(x - y) <= tolerance * Math.Max(Math.Abs(x), Math.Abs(y));
    }

    private static Dictionary<string, ParsedFamily> Index(List<ParsedFamily> families)
    {
        var index = new Dictionary<string, ParsedFamily>(StringComparer.Ordinal);
        foreach (ParsedFamily family in families)
        {
            if (!index.TryAdd(family.Name, family))
            {
                throw new FormatException($"family {family.Name} appears twice");
            }
        }

        return index;
    }

    private static Dictionary<string, double> Samples(ParsedFamily family)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (ParsedSample sample in family.Samples)
        {
            ParsedSample normal = sample;
            if (sample.Labels.TryGetValue("le", out string? le))
            {
                var labels = new Dictionary<string, string>(sample.Labels, StringComparer.Ordinal)
                {
                    ["le"] = ExpositionParser.ParseValue(le).ToString("R", CultureInfo.InvariantCulture),
                };
                normal = sample with { Labels = labels };
            }

            if (!samples.TryAdd(normal.Key, normal.Value))
            {
                throw new FormatException($"sample {normal.Key} appears twice");
            }
        }

        return samples;
    }
}
