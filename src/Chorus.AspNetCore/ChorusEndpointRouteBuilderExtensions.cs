using Chorus.AspNetCore.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.AspNetCore;

/// <summary>Maps the Chorus scrape endpoint.</summary>
public static class ChorusEndpointRouteBuilderExtensions
{
    /// <summary>The log category of the scrape endpoint.</summary>
    public const string LogCategory = "Chorus.Metrics";

    /// <summary>
    /// Serves <c>GET</c> and <c>HEAD</c> on <paramref name="pattern"/> from the <see cref="IScrapeSource"/> registered by
    /// <see cref="ChorusServiceCollectionExtensions.AddChorus"/>, with content negotiation (text 0.0.4 or OpenMetrics 1.0)
    /// and gzip.
    /// </summary>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="pattern">The route; default <c>/metrics</c>.</param>
    /// <returns>The endpoint's builder, e.g. to add <c>RequireAuthorization()</c>.</returns>
    public static IEndpointConventionBuilder MapChorusMetrics(this IEndpointRouteBuilder endpoints, string pattern = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        IScrapeSource source = endpoints.ServiceProvider.GetService<IScrapeSource>()
            ?? throw new InvalidOperationException("No IScrapeSource is registered: call services.AddChorus(...) first.");
        return endpoints.MapChorusMetrics(pattern, source);
    }

    /// <summary>Serves <c>GET</c> and <c>HEAD</c> on <paramref name="pattern"/> from <paramref name="source"/>.</summary>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="pattern">The route, e.g. <c>/metrics</c>.</param>
    /// <param name="source">What to serve.</param>
    /// <returns>The endpoint's builder.</returns>
    public static IEndpointConventionBuilder MapChorusMetrics(this IEndpointRouteBuilder endpoints, string pattern, IScrapeSource source)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(source);
        ChorusEndpointOptions options = endpoints.ServiceProvider.GetService<IOptions<ChorusEndpointOptions>>()?.Value ?? new ChorusEndpointOptions();
        ILogger logger = endpoints.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger(LogCategory) ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var endpoint = new MetricsEndpoint(source, options, logger);
        return endpoints.MapMethods(pattern, ["GET", "HEAD"], endpoint.HandleAsync).WithDisplayName("Chorus metrics");
    }
}
