using System.Diagnostics.CodeAnalysis;

namespace Chorus.Files;

/// <summary>
/// Decodes a key and checks what prometheus_client checked when the metric was created: valid metric and label
/// names. A key that fails is damaged bytes, not a metric; printing it would make Prometheus reject the whole
/// scrape. The reader and the compactor apply the same test, so a compaction folds exactly the entries readers use.
/// </summary>
internal static class ExposableKey
{
    /// <summary>Decodes <paramref name="utf8"/>; false (never throws) with the reason when it is not an exposable key.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out DbKey? key, out string? error)
    {
        if (!DbKey.TryParse(utf8, out key, out error))
        {
            return false;
        }

        if (!MetricNames.IsValidMetricName(key!.Family) || !MetricNames.IsValidMetricName(key.Sample))
        {
            error = "metric name is not valid in the exposition format";
            return false;
        }

        foreach (KeyValuePair<string, string> label in key.Labels)
        {
            if (!MetricNames.IsValidLabelName(label.Key))
            {
                error = $"label name '{label.Key}' is not valid in the exposition format";
                return false;
            }
        }

        return true;
    }
}
