using System.CommandLine;
using Chorus.Cli.Demo;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus demo-worker --max-requests N</c> (hidden): one worker of <c>chorus demo</c>. It records metrics
/// into <c>$PROMETHEUS_MULTIPROC_DIR</c> through the default registry, exactly as an application would.
/// </summary>
internal static class DemoWorkerCommand
{
    public const string Name = "demo-worker";

    public static Command Create()
    {
        var maxRequests = new Option<int>("--max-requests") { Description = "Requests to serve before exiting.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated traffic.", DefaultValueFactory = _ => 1 };
        var command = new Command(Name, "One simulated worker process of 'chorus demo'.") { maxRequests, seed };
        command.Hidden = true;
        command.SetAction((result, cancellationToken) => DemoWorker.RunAsync(result.GetValue(maxRequests), result.GetValue(seed), cancellationToken));
        return command;
    }
}
