using System.CommandLine;
using Chorus.Cli.Commands;

namespace Chorus.Cli;

/// <summary>Builds the <c>chorus</c> command tree. Each command lives in its own file and only calls the core's public API.</summary>
internal static class ChorusCommandLine
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Chorus: multi-process Prometheus metrics; reads and serves prometheus_client multiprocess directories.");
        root.Subcommands.Add(ServeCommand.Create());
        ParseResult result = root.Parse(args);
        int exitCode = result.Invoke();

        // System.CommandLine answers parse errors with 1; the CLI contract says usage errors are 2.
        return result.Errors.Count > 0 ? 2 : exitCode;
    }
}
