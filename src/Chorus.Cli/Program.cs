namespace Chorus.Cli;

internal static class Program
{
    private static int Main(string[] args) => ChorusCommandLine.Run(args);
}
