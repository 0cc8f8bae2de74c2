namespace Chorus.Cli.Commands;

/// <summary>
/// The one error path of every command: the contract's exit codes (0 ok, 1 runtime failure, 2 usage error), the
/// exceptions that carry them, and how an error is printed (one line on stderr, <c>chorus COMMAND: message</c>).
/// </summary>
internal static class CliErrors
{
    public const int Success = 0;

    public const int RuntimeFailure = 1;

    public const int UsageError = 2;

    /// <summary>A usage error (missing or malformed argument): exit code 2.</summary>
    public static CliException Usage(string message) => new(UsageError, message);

    /// <summary>A runtime failure (missing directory, unreadable file, refused work): exit code 1.</summary>
    public static CliException Failure(string message) => new(RuntimeFailure, message);

    /// <summary>Prints <paramref name="message"/> as the error of <paramref name="command"/> and returns <paramref name="exitCode"/>.</summary>
    public static int Report(string command, string message, int exitCode)
    {
        Console.Error.WriteLine($"chorus {command}: {message}");
        return exitCode;
    }

    /// <summary>
    /// Maps what escaped a command to its exit code: <see cref="CliException"/> carries its own; file-system and
    /// format errors are runtime failures; anything else is a bug, still one line and exit code 1.
    /// </summary>
    public static int Report(string command, Exception error) => error switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Report(command, aggregate.InnerExceptions[0]),
        CliException cli => Report(command, cli.Message, cli.ExitCode),
        IOException or UnauthorizedAccessException or InvalidDataException => Report(command, error.Message, RuntimeFailure),
        _ => Report(command, $"unexpected error ({error.GetType().Name}): {error.Message}", RuntimeFailure),
    };
}
