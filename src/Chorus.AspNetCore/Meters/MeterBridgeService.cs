using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chorus.AspNetCore.Meters;

/// <summary>
/// Records the meters named in <see cref="ChorusEndpointOptions.Meters"/> into the application's registry from
/// host start to host stop. Instruments created before the start (ASP.NET Core's own) are picked up at once.
/// </summary>
internal sealed class MeterBridgeService(IServiceProvider services, IOptions<ChorusEndpointOptions> options) : IHostedService, IDisposable
{
    private IDisposable? _listening;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        MeterOptions meters = options.Value.Meters;
        if (meters.MeterNames.Count > 0 && _listening is null)
        {
            MetricRegistry registry = services.GetService<MetricRegistry>() ?? Metrics.DefaultRegistry;
            _listening = registry.ListenToMeters(meters);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _listening, null)?.Dispose();
    }
}
