using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Chorus.Cli.Commands;

/// <summary>Parses Prometheus-style durations: one or more <c>number unit</c> pairs, e.g. <c>60s</c>, <c>1m30s</c>, <c>500ms</c>.</summary>
internal static partial class DurationArgument
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out TimeSpan? duration)
    {
        duration = null;
        if (string.IsNullOrEmpty(text) || !DurationPattern().IsMatch(text))
        {
            return false;
        }

        TimeSpan total = TimeSpan.Zero;
        foreach (Match part in PartPattern().Matches(text))
        {
            long amount = long.Parse(part.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                "d" => TimeSpan.FromDays(amount),
                _ => TimeSpan.FromDays(7 * amount),
            };
        }

        duration = total;
        return total > TimeSpan.Zero;
    }

    /// <summary>
    /// Parses <c>--all-retention</c>: absent gives the compactor's default (10 minutes), <c>never</c> gives null
    /// (keep for ever, as prometheus_client does), anything else a duration.
    /// </summary>
    public static bool TryParseRetention(string? text, out TimeSpan? retention)
    {
        retention = Compaction.CompactionOptions.DefaultAllModeRetention;
        if (text is null)
        {
            return true;
        }

        if (text == "never")
        {
            retention = null;
            return true;
        }

        return TryParse(text, out retention);
    }

    [GeneratedRegex(@"^([0-9]{1,9}(ms|s|m|h|d|w))+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"([0-9]{1,9})(ms|s|m|h|d|w)")]
    private static partial Regex PartPattern();
}
