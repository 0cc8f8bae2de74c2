namespace Chorus.IntegrationTests.Support;

/// <summary>What a finished child process left behind.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Stdout">Standard output, decoded as UTF-8.</param>
/// <param name="Stderr">Standard error, decoded as UTF-8.</param>
/// <param name="Pid">The child's process id.</param>
/// <param name="CommandLine">The command, for failure messages.</param>
internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, int Pid, string CommandLine)
{
    /// <summary>A one-paragraph description for assertion messages.</summary>
    public string Describe() =>
        $"`{CommandLine}` exited {ExitCode}.\n--- stderr ---\n{Truncate(Stderr)}\n--- stdout ---\n{Truncate(Stdout)}";

    /// <summary>The three parts most assertions look at.</summary>
    public void Deconstruct(out int exitCode, out string stdout, out string stderr) => (exitCode, stdout, stderr) = (ExitCode, Stdout, Stderr);

    /// <summary>Fails the test unless the process exited 0.</summary>
    public ProcessResult EnsureSuccess()
    {
        Assert.True(ExitCode == 0, Describe());
        return this;
    }

    private static string Truncate(string text) => text.Length <= 4000 ? text : text[..4000] + $"\n... ({text.Length} chars)";
}
