using Chorus.Exposition;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// The <c>Content-Type</c> values Chorus answers with. Text 1.0.0 and OpenMetrics 1.0.0 state the escaping scheme used
/// (the content-negotiation spec requires it for text formats from version 1.0.0 on); text 0.0.4 has none.
/// </summary>
internal static class ExpositionContentTypes
{
    /// <summary>Prometheus text format 0.0.4.</summary>
    public const string PrometheusText = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>OpenMetrics 1.0 text with the default escaping scheme.</summary>
    public const string OpenMetrics = "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores";

    /// <summary>Plain text for health answers and error bodies.</summary>
    public const string PlainText = "text/plain; charset=utf-8";

    private static readonly string[] s_openMetrics = ForEachScheme("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=");

    private static readonly string[] s_text1 = ForEachScheme("text/plain; version=1.0.0; charset=utf-8; escaping=");

    /// <summary>The <c>escaping</c> parameter's value for <paramref name="scheme"/>.</summary>
    /// <param name="scheme">The escaping scheme.</param>
    public static string EscapingName(EscapingScheme scheme) => scheme switch
    {
        EscapingScheme.AllowUtf8 => "allow-utf-8",
        EscapingScheme.Dots => "dots",
        EscapingScheme.Values => "values",
        _ => "underscores",
    };

    /// <summary>The <c>Content-Type</c> for <paramref name="protocol"/>.</summary>
    /// <param name="protocol">The negotiated protocol.</param>
    public static string For(ScrapeProtocol protocol)
    {
        if (protocol.Format == ExpositionFormat.OpenMetrics)
        {
            return s_openMetrics[(int)protocol.Escaping];
        }

        return protocol.TextVersion1 ? s_text1[(int)protocol.Escaping] : PrometheusText;
    }

    private static string[] ForEachScheme(string prefix) =>
    [
        prefix + EscapingName(EscapingScheme.Underscores),
        prefix + EscapingName(EscapingScheme.AllowUtf8),
        prefix + EscapingName(EscapingScheme.Dots),
        prefix + EscapingName(EscapingScheme.Values),
    ];
}
