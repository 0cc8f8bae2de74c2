using System.Globalization;
using System.Text;

namespace Chorus.IntegrationTests.Support;

// TEMPORARY: replaced by tests/Chorus.Tests/Support/ExpositionParser.cs once it lands on main.
internal sealed partial class ScrapeModel
{
    /// <summary>Parses Prometheus text 0.0.4 (or OpenMetrics text) into a model; fails the test on malformed lines.</summary>
    public static ScrapeModel FromText(string text)
    {
        var model = new ScrapeModel();
        int lineNumber = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNumber++;
            string line = raw;
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                string[] parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] == "HELP")
                {
                    string help = parts.Length == 4 ? UnescapeHelp(parts[3]) : string.Empty;
                    model.Families[parts[2]] = (model.Families.GetValueOrDefault(parts[2]).Type, help);
                }
                else if (parts.Length >= 4 && parts[1] == "TYPE")
                {
                    model.Families[parts[2]] = (parts[3], model.Families.GetValueOrDefault(parts[2]).Help);
                }

                continue;
            }

            int pos = 0;
            while (pos < line.Length && line[pos] != '{' && line[pos] != ' ')
            {
                pos++;
            }

            string name = line[..pos];
            var labels = new List<KeyValuePair<string, string>>();
            if (pos < line.Length && line[pos] == '{')
            {
                pos++;
                while (line[pos] != '}')
                {
                    int eq = line.IndexOf('=', pos);
                    string label = line[pos..eq].Trim();
                    pos = eq + 1;
                    Assert.True(line[pos] == '"', $"line {lineNumber}: label value not quoted: {line}");
                    pos++;
                    var value = new StringBuilder();
                    while (line[pos] != '"')
                    {
                        if (line[pos] == '\\')
                        {
                            pos++;
                            value.Append(line[pos] switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => throw new FormatException($"line {lineNumber}: bad escape \\{line[pos]}") });
                        }
                        else
                        {
                            value.Append(line[pos]);
                        }

                        pos++;
                    }

                    pos++;
                    labels.Add(new(label, value.ToString()));
                    if (line[pos] == ',')
                    {
                        pos++;
                    }
                }

                pos++;
            }

            string[] rest = line[pos..].Trim().Split(' ');
            model.AddSample(name, labels, ParseValue(rest[0], lineNumber));
        }

        return model;
    }

    private static double ParseValue(string text, int lineNumber) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw new FormatException($"line {lineNumber}: bad value '{text}'"),
    };

    private static string UnescapeHelp(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && (text[i + 1] == 'n' || text[i + 1] == '\\' || text[i + 1] == '"'))
            {
                i++;
                sb.Append(text[i] == 'n' ? '\n' : text[i]);
            }
            else
            {
                sb.Append(text[i]);
            }
        }

        return sb.ToString();
    }
}
