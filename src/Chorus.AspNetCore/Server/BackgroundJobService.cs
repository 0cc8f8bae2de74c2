using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chorus.AspNetCore.Server;

/// <summary>Runs one <see cref="ChorusBackgroundJob"/> on its period for the life of the host.</summary>
internal sealed class BackgroundJobService(ChorusBackgroundJob job, ILogger logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(job.Interval, stoppingToken).ConfigureAwait(false);
                string? summary = await job.RunAsync(stoppingToken).ConfigureAwait(false);
                if (summary is not null)
                {
                    logger.LogInformation("{Job}: {Summary}", job.Name, summary);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception failure)
            {
                logger.LogError(failure, "Background job {Job} failed; it runs again in {Interval}", job.Name, job.Interval);
            }
        }
    }
}
