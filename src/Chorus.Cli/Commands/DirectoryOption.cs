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

    /// <summary>The directory to work on: <paramref name="value"/>, else the environment variable.</summary>
    /// <exception cref="CliException">None given (usage error, 2), or the one given is missing or not a directory (1).</exception>
    public static string Resolve(string? value)
    {
        string directory = string.IsNullOrEmpty(value) ? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? string.Empty : value;
        if (directory.Length == 0)
        {
            throw CliErrors.Usage($"no directory given: pass --dir DIR or set {EnvironmentVariable}.");
        }

        if (File.Exists(directory))
        {
            throw CliErrors.Failure($"'{directory}' is a file, not a directory: pass the multiprocess directory that holds the *.db files.");
        }

        if (!Directory.Exists(directory))
        {
            throw CliErrors.Failure($"directory '{directory}' does not exist: check --dir or {EnvironmentVariable}, or create it.");
        }

        return directory;
    }
}
