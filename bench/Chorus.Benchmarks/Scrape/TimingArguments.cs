using System.Globalization;

namespace Chorus.Benchmarks.Scrape;

/// <summary>The command line of the stopwatch harnesses: <c>--dir DIR [--repeat N]</c> plus each mode's own switches and numbers.</summary>
internal sealed class TimingArguments
{
    private readonly HashSet<string> _switches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _numbers = new(StringComparer.Ordinal);

    private TimingArguments(string directory, int repeats)
    {
        Directory = directory;
        Repeats = repeats;
    }

    public string Directory { get; }

    public int Repeats { get; }

    public bool Has(string flag) => _switches.Contains(flag);

    public int Number(string option) => _numbers.GetValueOrDefault(option);

    /// <summary>Parses <paramref name="args"/>; null (after printing why and the usage) when they are wrong.</summary>
    public static TimingArguments? Parse(string[] args, string mode, int defaultRepeats, string[]? switches = null, string[]? numbers = null)
    {
        switches ??= [];
        numbers ??= [];
        string? directory = null;
        int repeats = defaultRepeats;
        var found = new HashSet<string>(StringComparer.Ordinal);
        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (switches.Contains(arg))
            {
                found.Add(arg);
            }
            else if (i + 1 < args.Length && (arg is "--dir" or "--repeat" || numbers.Contains(arg)))
            {
                string value = args[++i];
                if (arg == "--dir")
                {
                    directory = value;
                }
                else if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
                {
                    if (arg == "--repeat")
                    {
                        repeats = number;
                    }
                    else
                    {
                        values[arg] = number;
                    }
                }
                else
                {
                    return Fail($"{arg} takes a whole number, not '{value}'");
                }
            }
            else
            {
                return Fail($"unknown option {arg}");
            }
        }

        if (directory is null || !System.IO.Directory.Exists(directory))
        {
            return Fail(directory is null ? "--dir is required" : $"no directory '{directory}'");
        }

        var parsed = new TimingArguments(directory, repeats);
        parsed._switches.UnionWith(found);
        foreach ((string name, int value) in values)
        {
            parsed._numbers[name] = value;
        }

        return parsed;

        TimingArguments? Fail(string reason)
        {
            string extra = string.Concat(switches.Select(s => $" [{s}]")) + string.Concat(numbers.Select(n => $" [{n} N]"));
            Console.Error.WriteLine($"{reason}\nusage: Chorus.Benchmarks {mode} --dir DIR [--repeat N]{extra}");
            return null;
        }
    }
}
