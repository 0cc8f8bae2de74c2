using System.CommandLine;

namespace Chorus.Cli.Commands;

/// <summary>The shared <c>--dir</c> option: a multiprocess directory, defaulting to <c>$PROMETHEUS_MULTIPROC_DIR</c>.</summary>
internal static class DirectoryOption
{
    public const string EnvironmentVariable = "PROMETHEUS_MULTIPROC_DIR";

    public static Option<string?> Create() => new("--dir")
    {
        Description = $"The multiprocess directory (default: ${EnvironmentVariable}).",
        HelpName = "DIR",
    };

    /// <summary>Resolves the directory or explains on stderr what is wrong (exit code 1).</summary>
    public static bool TryResolve(string? value, out string directory)
    {
        directory = value ?? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? string.Empty;
        if (directory.Length == 0)
        {
            Console.Error.WriteLine($"chorus: no directory given: pass --dir DIR or set {EnvironmentVariable}.");
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
