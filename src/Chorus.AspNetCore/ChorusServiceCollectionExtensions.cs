using Microsoft.Extensions.DependencyInjection;
using Chorus.AspNetCore.Meters;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chorus.AspNetCore;

/// <summary>Registers Chorus with an application's services.</summary>
public static class ChorusServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ChorusEndpointOptions"/> and, unless the application registered its own, the <see cref="IScrapeSource"/>
    /// the endpoint serves: the merged multiprocess directory when <see cref="ChorusEndpointOptions.Directory"/> is set,
    /// else the application's <see cref="MetricRegistry"/> service, else <see cref="Metrics.DefaultRegistry"/>.
    /// It also records the meters named with <see cref="ChorusEndpointOptions.AddMeter"/> into that registry while the
    /// host runs.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Changes to the defaults documented on <see cref="ChorusEndpointOptions"/>.</param>
    public static IServiceCollection AddChorus(this IServiceCollection services, Action<ChorusEndpointOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<ChorusEndpointOptions> options = services.AddOptions<ChorusEndpointOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton<IScrapeSource>(provider => ScrapeSources.Create(
            provider.GetRequiredService<IOptions<ChorusEndpointOptions>>().Value, provider.GetService<MetricRegistry>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ChorusHostedService>());
        return services;
    }
}
