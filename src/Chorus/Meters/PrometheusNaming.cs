using Chorus.Exposition;
using System.Globalization;
using System.Text;

namespace Chorus.Meters;

/// <summary>
/// Turns System.Diagnostics.Metrics names, units and tags into Prometheus names, as the OpenTelemetry
/// "Prometheus and OpenMetrics compatibility" specification says (OTLP metric points to Prometheus).
/// </summary>
/// <remarks>
/// The unit table is the one OpenTelemetry's exporters use (UCUM abbreviations to full words). The spec's
/// special case "<c>1</c> → <c>ratio</c>" applies to gauge-typed families only, as in OpenTelemetry .NET and
/// the Collector: a unitless counter stays <c>x_total</c>, not <c>x_ratio_total</c>.
/// </remarks>
internal static class PrometheusNaming
{
    /// <summary>The family name: sanitised name, unit suffix unless already there; a counter's <c>_total</c> is left to the sample.</summary>
    /// <param name="instrumentName">The instrument's (or the view's) name.</param>
    /// <param name="unit">The instrument's UCUM unit, or null.</param>
    /// <param name="kind">The Prometheus type the instrument maps to.</param>
    public static string FamilyName(string instrumentName, string? unit, MetricType kind)
    {
        string name = SanitizeMetricName(instrumentName);
        string? suffix = UnitSuffix(unit, kind);
        if (suffix is not null && !ContainsWord(name, suffix))
        {
            name = name + "_" + suffix;
        }

        // The sample gets "_total" back (Counter's convention); a name that already ends with it keeps one.
        if (kind == MetricType.Counter && name.EndsWith("_total", StringComparison.Ordinal) && name.Length > "_total".Length)
        {
            name = name[..^"_total".Length];
        }

        return name;
    }

    /// <summary>Characters outside <c>[a-zA-Z0-9_:]</c> become <c>_</c>, runs of <c>_</c> collapse, a leading digit gets a <c>_</c> before it.</summary>
    public static string SanitizeMetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>As <see cref="SanitizeMetricName"/> without <c>:</c>: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    public static string SanitizeLabelName(string name) => Sanitize(name, allowColon: false);

    /// <summary>
    /// The unit as a name suffix: annotations in braces dropped, <c>a/b</c> → <c>a_per_b</c>, UCUM abbreviations
    /// spelled out, <c>1</c> → <c>ratio</c> on gauges; null when nothing is left.
    /// </summary>
    public static string? UnitSuffix(string? unit, MetricType kind)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            return null;
        }

        string bare = RemoveAnnotations(unit).Trim();
        string result;
        int slash = bare.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && slash < bare.Length - 1)
        {
            string left = bare[..slash].Trim();
            string right = bare[(slash + 1)..].Trim();
            string leftWord = left is "1" ? string.Empty : MapUnit(left);
            result = leftWord.Length == 0 ? "per_" + MapPerUnit(right) : leftWord + "_per_" + MapPerUnit(right);
        }
        else if (bare == "1")
        {
            result = kind == MetricType.Gauge ? "ratio" : string.Empty;
        }
        else
        {
            result = MapUnit(bare);
        }

        result = Sanitize(result, allowColon: false).Trim('_');
        return result.Length == 0 ? null : result;
    }

    /// <summary>A tag value as label text: strings as they are, booleans <c>true</c>/<c>false</c>, numbers invariant.</summary>
    public static string LabelValue(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string MapUnit(string unit) => unit switch
    {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tebibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "%" => "percent",
        _ => unit,
    };

    private static string MapPerUnit(string unit) => unit switch
    {
        "s" => "second",
        "m" => "minute",
        "min" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        _ => unit,
    };

    private static string RemoveAnnotations(string unit)
    {
        if (!unit.Contains('{', StringComparison.Ordinal))
        {
            return unit;
        }

        var builder = new StringBuilder(unit.Length);
        int depth = 0;
        foreach (char c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    // "the metric name already contains the unit": as whole '_'-separated words, so "bytes_read" keeps
    // its name for By, while "subsecond" does not count as containing "seconds".
    private static bool ContainsWord(string name, string word) =>
        ("_" + name + "_").Contains("_" + word + "_", StringComparison.Ordinal);

    private static string Sanitize(string name, bool allowColon)
    {
        var builder = new StringBuilder(name.Length + 1);
        bool lastUnderscore = false;
        foreach (char c in name)
        {
            bool valid = char.IsAsciiLetterOrDigit(c) || (allowColon && c == ':');
            if (valid)
            {
                if (builder.Length == 0 && char.IsAsciiDigit(c))
                {
                    builder.Append('_');
                }

                builder.Append(c);
                lastUnderscore = false;
            }
            else if (!lastUnderscore)
            {
                builder.Append('_');
                lastUnderscore = true;
            }
        }

        return builder.Length == 0 ? "_" : builder.ToString();
    }
}
