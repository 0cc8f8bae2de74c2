using Chorus.Exposition;

namespace Chorus.AspNetCore.Http;

/// <summary>The <c>Content-Type</c> values Chorus answers with, one per <see cref="ExpositionFormat"/>.</summary>
internal static class ExpositionContentTypes
{
    /// <summary>Prometheus text format 0.0.4.</summary>
    public const string PrometheusText = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>OpenMetrics 1.0 text.</summary>
    public const string OpenMetrics = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// <summary>Plain text for health answers and error bodies.</summary>
    public const string PlainText = "text/plain; charset=utf-8";

    /// <summary>The <c>Content-Type</c> for <paramref name="format"/>.</summary>
    public static string For(ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetrics ? OpenMetrics : PrometheusText;
}
