namespace Chorus.Cli.Commands;

/// <summary>Prints an error to stderr and returns the contract's exit code: 2 for usage errors, 1 for runtime failures.</summary>
internal static class CliErrors
{
    public const int RuntimeFailure = 1;

    public const int UsageError = 2;

    public static int Usage(string message)
    {
        Console.Error.WriteLine(message);
        return UsageError;
    }

    public static int Failure(string message)
    {
        Console.Error.WriteLine(message);
        return RuntimeFailure;
    }
}
