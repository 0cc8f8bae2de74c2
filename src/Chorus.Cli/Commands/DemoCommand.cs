using System.CommandLine;
using Chorus.Cli.Demo;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus demo [--workers 4] [--max-requests 100] [--requests N] [--dir DIR] [--no-serve] [--listen ADDR]</c>:
/// a pool of worker processes recycled every N requests, their merged metrics served on loopback.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var workers = new Option<int>("--workers") { Description = "Worker processes running at once.", DefaultValueFactory = _ => 4 };
        var maxRequests = new Option<int>("--max-requests") { Description = "Requests a worker serves before it exits and is replaced.", DefaultValueFactory = _ => 100 };
        var requests = new Option<long?>("--requests") { Description = "Stop after this many requests in total (default: run until Ctrl-C)." };
        var dir = new Option<string?>("--dir") { Description = "The multiprocess directory (default: a fresh temporary directory, removed at the end).", HelpName = "DIR" };
        var noServe = new Option<bool>("--no-serve") { Description = "Do not serve /metrics over HTTP." };
        var listen = new Option<string>("--listen") { Description = "Where /metrics is served; port 0 picks a free port.", DefaultValueFactory = _ => "127.0.0.1:0" };
        var command = new Command("demo", "Run a pool of worker processes that record metrics into one directory, and serve the merged /metrics.")
        {
            workers, maxRequests, requests, dir, noServe, listen,
        };
        command.SetAction((result, cancellationToken) =>
        {
            var settings = new DemoSettings(
                result.GetValue(workers),
                result.GetValue(maxRequests),
                result.GetValue(requests),
                result.GetValue(dir),
                !result.GetValue(noServe),
                result.GetValue(listen)!);
            return Validate(settings) is { } error
                ? throw CliErrors.Usage(error)
                : new DemoSupervisor(settings).RunAsync(cancellationToken);
        });
        return command;
    }

    private static string? Validate(DemoSettings settings) => settings switch
    {
        { Workers: < 1 or > 64 } => "--workers must be between 1 and 64.",
        { MaxRequests: < 1 } => "--max-requests must be at least 1.",
        { Requests: < 0 } => "--requests must not be negative.",
        _ => null,
    };
}
