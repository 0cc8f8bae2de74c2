using System.CommandLine;
using Chorus.Cli.Commands;

namespace Chorus.Cli;

/// <summary>Builds the <c>chorus</c> command tree. Each command lives in its own file and only calls the core's public API.</summary>
internal static class ChorusCommandLine
{
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
            return CliErrors.UsageError;
        }

        // Every command's errors leave through CliErrors (one line, the contract's exit code), not through
        // System.CommandLine's handler, which prints a stack trace and always exits 1.
        try
        {
            return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return CliErrors.Report(result.CommandResult.Command.Name, e);
        }
    }
}
