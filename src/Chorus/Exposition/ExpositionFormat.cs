namespace Chorus.Exposition;

/// <summary>The text formats Chorus writes.</summary>
public enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4 (<c>text/plain; version=0.0.4; charset=utf-8</c>), the default.</summary>
    PrometheusText,

    /// <summary>OpenMetrics 1.0 text (<c>application/openmetrics-text; version=1.0.0; charset=utf-8</c>).</summary>
    OpenMetrics,
}
