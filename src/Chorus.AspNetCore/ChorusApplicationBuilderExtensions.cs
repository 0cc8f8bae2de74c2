using Chorus.AspNetCore.HttpMetrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Chorus.AspNetCore;

/// <summary>Adds Chorus request metrics to an application's pipeline.</summary>
public static class ChorusApplicationBuilderExtensions
{
    /// <summary>
    /// Records request count, duration and in-progress requests by method, route template and status code:
    /// <c>http_requests_total</c>, <c>http_request_duration_seconds</c> and <c>http_requests_in_progress</c>.
    /// </summary>
    /// <remarks>Place it early in the pipeline, so its timing covers the middleware after it.</remarks>
    /// <param name="app">The application.</param>
    /// <param name="configure">Changes to the defaults documented on <see cref="ChorusHttpMetricsOptions"/>.</param>
    public static IApplicationBuilder UseChorusHttpMetrics(this IApplicationBuilder app, Action<ChorusHttpMetricsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = new ChorusHttpMetricsOptions();
        configure?.Invoke(options);
        MetricRegistry registry = options.Registry ?? app.ApplicationServices.GetService<MetricRegistry>() ?? Metrics.DefaultRegistry;
        var metrics = new HttpRequestMetrics(registry, options);
        return app.Use(metrics.InvokeAsync);
    }
}
