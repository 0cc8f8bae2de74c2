using System.CommandLine;

namespace Chorus.Cli;

/// <summary>Builds the <c>chorus</c> command tree. Each command lives in its own file and only calls the core's public API.</summary>
internal static class ChorusCommandLine
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Chorus: multi-process Prometheus metrics; reads and serves prometheus_client multiprocess directories.");
        ParseResult result = root.Parse(args);
        return result.Invoke();
    }
}
