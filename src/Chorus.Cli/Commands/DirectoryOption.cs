using System.CommandLine;

namespace Chorus.Cli.Commands;

/// <summary>The shared <c>--dir</c> option: a multiprocess directory, defaulting to <c>$PROMETHEUS_MULTIPROC_DIR</c>.</summary>
internal static class DirectoryOption
{
    private const string EnvironmentVariable = ChorusOptions.DirectoryVariable;

    public static Option<string?> Create() => new("--dir")
    {
        Description = $"The multiprocess directory (default: ${EnvironmentVariable}).",
        HelpName = "DIR",
    };

    /// <summary>Resolves the directory or explains on stderr what is wrong (the caller picks the exit code).</summary>
    public static bool TryResolve(string? value, out string directory) => TryResolve(value, out directory, out _);

    /// <summary>
    /// Resolves the directory or explains on stderr what is wrong and returns the exit code: 2 when no
    /// directory was given at all (a usage error), 1 when the one given is missing or not a directory.
    /// </summary>
    public static bool TryResolve(string? value, out string directory, out int exitCode)
    {
        directory = value ?? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? string.Empty;
        exitCode = 1;
        if (directory.Length == 0)
        {
            Console.Error.WriteLine($"chorus: no directory given: pass --dir DIR or set {EnvironmentVariable}.");
            exitCode = ChorusCommandLine.UsageError;
            return false;
        }

        if (File.Exists(directory))
        {
            Console.Error.WriteLine($"chorus: '{directory}' is a file, not a directory: pass the multiprocess directory that holds the *.db files.");
            return false;
        }

        if (!Directory.Exists(directory))
        {
            Console.Error.WriteLine($"chorus: directory '{directory}' does not exist: check --dir or {EnvironmentVariable}.");
            return false;
        }

        return true;
    }
}
