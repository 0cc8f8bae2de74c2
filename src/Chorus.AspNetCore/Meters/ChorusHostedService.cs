using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chorus.AspNetCore.Meters;

/// <summary>
/// Records the meters named in <see cref="ChorusEndpointOptions.Meters"/> into the application's registry from
/// host start to host stop (instruments created before the start, ASP.NET Core's own, are picked up at once), and
/// adds the process metrics unless <see cref="ChorusEndpointOptions.ProcessMetrics"/> is off.
/// </summary>
internal sealed class ChorusHostedService(IServiceProvider services, IOptions<ChorusEndpointOptions> options) : IHostedService, IDisposable
{
    private IDisposable? _listening;

    private MetricRegistry Registry => services.GetService<MetricRegistry>() ?? Metrics.DefaultRegistry;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        MeterOptions meters = options.Value.Meters;
        if (options.Value.ProcessMetrics)
        {
            Registry.AddProcessMetrics();
        }

        if (meters.MeterNames.Count > 0 && _listening is null)
        {
            _listening = Registry.ListenToMeters(meters);
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
