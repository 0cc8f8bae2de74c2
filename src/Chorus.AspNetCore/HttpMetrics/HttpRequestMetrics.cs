using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Chorus.AspNetCore.HttpMetrics;

/// <summary>
/// Records <c>http_requests_total{method,route,status}</c>, <c>http_request_duration_seconds{method,route,status}</c>
/// and <c>http_requests_in_progress{method,route}</c> (a live-sum gauge, so a dead worker's requests stop counting).
/// The route label is the endpoint's route template (e.g. <c>/users/{id}</c>), never the raw path, so URLs cannot
/// explode the number of series; requests no endpoint matched get an empty route.
/// </summary>
internal sealed class HttpRequestMetrics
{
    private const int MaxCachedStatus = 600;

    private static readonly string[] s_statusText = CreateStatusText();

    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Gauge _inProgress;

    public HttpRequestMetrics(MetricRegistry registry, ChorusHttpMetricsOptions options)
    {
        _requests = registry.CreateCounter("http_requests_total", "HTTP requests completed, by method, route template and status code.",
            new CounterConfiguration { LabelNames = ["method", "route", "status"] });
        _duration = registry.CreateHistogram("http_request_duration_seconds", "HTTP request duration in seconds, by method, route template and status code.",
            new HistogramConfiguration { LabelNames = ["method", "route", "status"], Buckets = options.DurationBuckets });
        _inProgress = registry.CreateGauge("http_requests_in_progress", "HTTP requests being handled, by method and route template.",
            new GaugeConfiguration { LabelNames = ["method", "route"], Mode = GaugeMode.LiveSum });
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        string method = context.Request.Method;
        string route = RouteOf(context);
        Gauge.Child inProgress = _inProgress.WithLabels([method, route]);
        long started = Stopwatch.GetTimestamp();
        inProgress.Inc();
        int status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(context).ConfigureAwait(false);
            status = context.Response.StatusCode;
        }
        finally
        {
            inProgress.Dec();

            // Routing may run inside next (UseRouting after this middleware), so look again for the template.
            string finalRoute = route.Length > 0 ? route : RouteOf(context);
            string statusText = (uint)status < MaxCachedStatus ? s_statusText[status] : status.ToString(CultureInfo.InvariantCulture);
            _requests.WithLabels([method, finalRoute, statusText]).Inc();
            _duration.WithLabels([method, finalRoute, statusText]).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static string RouteOf(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template } ? template : "";

    private static string[] CreateStatusText()
    {
        var text = new string[MaxCachedStatus];
        for (int i = 0; i < text.Length; i++)
        {
            text[i] = i.ToString(CultureInfo.InvariantCulture);
        }

        return text;
    }
}
