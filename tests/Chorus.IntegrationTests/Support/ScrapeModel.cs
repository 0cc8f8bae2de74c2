using System.Globalization;
using System.Text;

namespace Chorus.IntegrationTests.Support;

/// <summary>
/// An exposition reduced to what must match between two readers: families (TYPE and HELP) and samples
/// (name + label set → value), with no order. <c>le</c> and <c>quantile</c> values are compared as numbers,
/// since prometheus_client 0.16 spells bounds ≥ 1e10 <c>1e+010</c> where newer code writes <c>1e+10</c>.
/// </summary>
internal sealed partial class ScrapeModel
{
    /// <summary>Families by name: (TYPE, HELP); either may be null when the text has no such line.</summary>
    public Dictionary<string, (string? Type, string? Help)> Families { get; } = new(StringComparer.Ordinal);

    /// <summary>Samples by <see cref="SampleId"/>.</summary>
    public Dictionary<string, double> Samples { get; } = new(StringComparer.Ordinal);

    /// <summary>Samples that appeared twice with the same name and labels (never valid).</summary>
    public List<string> Duplicates { get; } = [];

    /// <summary>The identity of a sample: its name and its labels sorted by name, numeric labels canonical.</summary>
    public static string SampleId(string name, IEnumerable<KeyValuePair<string, string>> labels)
    {
        var sb = new StringBuilder(name);
        sb.Append('{');
        bool first = true;
        foreach ((string label, string value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            if (!first)
            {
                sb.Append(',');
            }

            first = false;
            sb.Append(label).Append("=\"").Append(Escape(Canonical(label, value))).Append('"');
        }

        return sb.Append('}').ToString();
    }

    /// <summary>Adds a sample, remembering duplicates.</summary>
    public void AddSample(string name, IEnumerable<KeyValuePair<string, string>> labels, double value)
    {
        string id = SampleId(name, labels);
        if (!Samples.TryAdd(id, value))
        {
            Duplicates.Add(id);
        }
    }

    /// <summary>The value of a sample, or null when it is absent.</summary>
    public double? Value(string name, params (string Name, string Value)[] labels)
    {
        string id = SampleId(name, labels.Select(l => new KeyValuePair<string, string>(l.Name, l.Value)));
        return Samples.TryGetValue(id, out double v) ? v : null;
    }

    /// <summary>Whether two sample values agree: relative tolerance 1e-9, NaN equals NaN, infinities by sign.</summary>
    public static bool ValuesAgree(double expected, double actual)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
        {
            return double.IsNaN(expected) && double.IsNaN(actual);
        }

        if (double.IsInfinity(expected) || double.IsInfinity(actual))
        {
            return expected.Equals(actual);
        }

        double scale = Math.Max(Math.Abs(expected), Math.Abs(actual));
        return Math.Abs(expected - actual) <= 1e-9 * scale || expected.Equals(actual);
    }

    private static string Canonical(string label, string value)
    {
        if ((label == "le" || label == "quantile")
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
        {
            return number.ToString("R", CultureInfo.InvariantCulture);
        }

        return value;
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
