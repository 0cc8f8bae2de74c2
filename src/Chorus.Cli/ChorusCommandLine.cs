using System.CommandLine;
using Chorus.Cli.Commands;

namespace Chorus.Cli;

/// <summary>Builds the <c>chorus</c> command tree. Each command lives in its own file and only calls the core's public API.</summary>
internal static class ChorusCommandLine
{
    /// <summary>Exit code for usage errors (unknown options, bad values).</summary>
    public const int UsageError = 2;

    public static int Run(string[] args)
    {
        var root = new RootCommand("Chorus: multi-process Prometheus metrics; reads and serves prometheus_client multiprocess directories.");
        root.Subcommands.Add(ScrapeCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(CompactCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(DemoWorkerCommand.Create());
        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in result.Errors)
            {
                Console.Error.WriteLine($"chorus: {error.Message}");
            }

            Console.Error.WriteLine("Run 'chorus --help' (or 'chorus <command> --help') for usage.");
            return UsageError;
        }

        return result.Invoke();
    }
}
