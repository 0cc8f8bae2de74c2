using System.Globalization;
using System.Text;

namespace Chorus.TestSupport;

/// <summary>One sample line of a parsed exposition.</summary>
public sealed record ParsedSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>Name and labels in a canonical text form, usable as a dictionary key.</summary>
    public string Key => Name + "{" + string.Join(",", Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={Quote(l.Value)}")) + "}";

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}

/// <summary>One family of a parsed exposition: the header name, TYPE, HELP and samples in file order.</summary>
public sealed class ParsedFamily(string name)
{
    public string Name { get; } = name;

    public string? Type { get; set; }

    public string? Help { get; set; }

    public string? Unit { get; set; }

    public List<ParsedSample> Samples { get; } = [];
}

/// <summary>
/// A small, strict parser for Prometheus text 0.0.4 and OpenMetrics 1.0 text, for tests: families by
/// <c># HELP</c>/<c># TYPE</c> headers, samples with escaped label values, Go-style numbers. Throws
/// <see cref="FormatException"/> on anything it does not understand, with the line number.
/// Linked into other test projects with <c>&lt;Compile Include=... Link=...&gt;</c>.
/// </summary>
public static class ExpositionParser
{
    /// <summary>Parses an exposition. Families keep file order; samples attach to the last header seen.</summary>
    public static List<ParsedFamily> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var families = new List<ParsedFamily>();
        ParsedFamily? current = null;
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0)
            {
                if (i != lines.Length - 1)
                {
                    throw new FormatException($"line {i + 1}: empty line");
                }

                continue;
            }

            try
            {
                if (line.StartsWith('#'))
                {
                    current = ParseComment(line, current, families);
                }
                else
                {
                    ParsedSample sample = ParseSample(line);
                    if (current is null)
                    {
                        current = new ParsedFamily(sample.Name);
                        families.Add(current);
                    }

                    current.Samples.Add(sample);
                }
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {i + 1}: {e.Message}: {line}", e);
            }
        }

        return families;
    }

    /// <summary>Parses a number as both formats spell it (<c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>, decimal or exponent).</summary>
    public static double ParseValue(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static ParsedFamily? ParseComment(string line, ParsedFamily? current, List<ParsedFamily> families)
    {
        string[] parts = line.Split(' ', 4);
        if (parts.Length >= 2 && parts[1] == "EOF")
        {
            return current;
        }

        if (parts.Length < 3 || parts[0] != "#" || parts[1] is not ("HELP" or "TYPE" or "UNIT"))
        {
            // Plain comments are allowed in text 0.0.4.
            return current;
        }

        string name = parts[2];
        string rest = parts.Length > 3 ? parts[3] : string.Empty;
        if (current is null || current.Name != name)
        {
            current = new ParsedFamily(name);
            families.Add(current);
        }

        switch (parts[1])
        {
            case "HELP":
                current.Help = Unescape(rest, allowQuote: true);
                break;
            case "TYPE":
                current.Type = rest;
                break;
            default:
                current.Unit = rest;
                break;
        }

        return current;
    }

    private static ParsedSample ParseSample(string line)
    {
        int i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
        {
            i++;
        }

        string name = line[..i];
        if (name.Length == 0)
        {
            throw new FormatException("no metric name");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                if (eq < 0)
                {
                    throw new FormatException("label without '='");
                }

                string labelName = line[i..eq];
                if (line[eq + 1] != '"')
                {
                    throw new FormatException("label value not quoted");
                }

                var value = new StringBuilder();
                int j = eq + 2;
                for (; line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] switch
                        {
                            'n' => '\n',
                            '\\' => '\\',
                            '"' => '"',
                            _ => throw new FormatException($"bad escape \\{line[j]} in label value"),
                        });
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }

                if (!labels.TryAdd(labelName, value.ToString()))
                {
                    throw new FormatException($"label {labelName} repeated");
                }

                i = j + 1;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        if (i >= line.Length || line[i] != ' ')
        {
            throw new FormatException("no space before the value");
        }

        string[] tail = line[(i + 1)..].Split(' ');
        return new ParsedSample(name, labels, ParseValue(tail[0]));
    }

    private static string Unescape(string text, bool allowQuote)
    {
        var builder = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                char next = text[i + 1];
                if (next == 'n')
                {
                    builder.Append('\n');
                    i++;
                    continue;
                }

                if (next == '\\' || (allowQuote && next == '"'))
                {
                    builder.Append(next);
                    i++;
                    continue;
                }
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
