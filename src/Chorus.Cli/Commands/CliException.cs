namespace Chorus.Cli.Commands;

/// <summary>
/// A command's error with its exit code: thrown anywhere in a command, printed by <see cref="ChorusCommandLine"/> as
/// one line <c>chorus COMMAND: message</c> on stderr. Create it through <see cref="CliErrors"/>.
/// </summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    /// <summary><see cref="CliErrors.UsageError"/> or <see cref="CliErrors.RuntimeFailure"/>.</summary>
    public int ExitCode { get; } = exitCode;
}
