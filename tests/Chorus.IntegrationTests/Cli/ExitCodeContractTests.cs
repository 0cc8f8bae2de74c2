using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Cli;

/// <summary>
/// The CLI contract's exit codes for every command (0 ok, 1 runtime failure, 2 usage error), each error one line on
/// stderr without a stack trace. <c>DIR</c> stands for an empty directory, <c>MISSING</c> for a path that does not exist.
/// </summary>
public sealed class ExitCodeContractTests : IDisposable
{
    private readonly TempDirectory _root = new("exit-codes");

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData(2, "scrape")]
    [InlineData(2, "serve")]
    [InlineData(2, "compact")]
    [InlineData(2, "compact", "--dry-run")]
    [InlineData(2, "doctor")]
    [InlineData(2, "inspect")]
    [InlineData(2, "compact", "--dir", "DIR", "--all-retention", "soon")]
    [InlineData(2, "compact", "--dir", "DIR", "--no-such-option")]
    [InlineData(2, "serve", "--dir", "DIR", "--compact-every", "often")]
    [InlineData(2, "serve", "--dir", "DIR", "--all-retention", "1h")]
    [InlineData(2, "serve", "--dir", "DIR", "--listen", "nope")]
    [InlineData(2, "serve", "--dir", "MISSING", "--listen", "nope")]
    [InlineData(2, "serve", "--dir", "DIR", "--web.telemetry-path", "nope")]
    [InlineData(2, "serve", "--dir", "DIR", "--web.max-requests", "-1")]
    [InlineData(2, "demo", "--workers", "0")]
    [InlineData(2, "demo-worker")]
    [InlineData(1, "scrape", "--dir", "MISSING")]
    [InlineData(1, "serve", "--dir", "MISSING")]
    [InlineData(1, "serve", "--dir", "DIR", "--web.config.file", "MISSING")]
    [InlineData(1, "compact", "--dir", "MISSING")]
    [InlineData(1, "compact", "--dir", "MISSING", "--dry-run")]
    [InlineData(1, "doctor", "--dir", "MISSING")]
    [InlineData(1, "inspect", "MISSING")]
    [InlineData(1, "demo", "--dir", "MISSING", "--no-serve", "--requests", "1")]
    [InlineData(0, "scrape", "--dir", "DIR")]
    [InlineData(0, "compact", "--dir", "DIR")]
    [InlineData(0, "compact", "--dir", "DIR", "--dry-run")]
    [InlineData(0, "doctor", "--dir", "DIR")]
    [InlineData(0, "inspect", "DIR")]
    public void EveryCommand_ExitsAsTheContractSays(int expected, params string[] arguments)
    {
        string dir = Path.Combine(_root.Path, "dir");
        Directory.CreateDirectory(dir);
        string[] args = [.. arguments.Select(a => a switch { "DIR" => dir, "MISSING" => Path.Combine(_root.Path, "missing"), _ => a })];

        ProcessResult result = ChorusCli.Run(args);

        Assert.True(result.ExitCode == expected, result.Describe());
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        if (expected != 0)
        {
            string first = result.Stderr.Split('\n')[0];
            Assert.True(first.StartsWith($"chorus {arguments[0]}: ", StringComparison.Ordinal) || first.StartsWith("chorus: ", StringComparison.Ordinal), result.Describe());
        }

        if (expected == 1 && arguments.Contains("MISSING"))
        {
            Assert.Contains(Path.Combine(_root.Path, "missing"), result.Stderr, StringComparison.Ordinal);
        }
    }
}
