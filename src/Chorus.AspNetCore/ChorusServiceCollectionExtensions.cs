using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Chorus.AspNetCore;

/// <summary>Registers Chorus with an application's services.</summary>
public static class ChorusServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ChorusOptions"/> and, unless the application registered its own, the <see cref="IScrapeSource"/>
    /// the endpoint serves: the merged multiprocess directory when <see cref="ChorusOptions.Directory"/> is set.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Changes to the defaults documented on <see cref="ChorusOptions"/>.</param>
    public static IServiceCollection AddChorus(this IServiceCollection services, Action<ChorusOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<ChorusOptions> options = services.AddOptions<ChorusOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton<IScrapeSource>(provider => ScrapeSources.Create(provider.GetRequiredService<IOptions<ChorusOptions>>().Value));
        return services;
    }
}
