using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>Prometheus's own linter (<c>promtool check metrics</c>, Debian's prometheus package) accepts what <c>chorus scrape</c> prints.</summary>
public sealed class PromtoolTests
{
    // promtool exits 3 when the text parsed but lint rules found something, 1 when it did not parse.
    private const int LintFindingsExitCode = 3;

    public static TheoryData<int> Seeds => [21, 22, 23];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task PromtoolCheckMetrics_AcceptsScrapeOfPythonWrittenDirectory(int seed)
    {
        using var dir = new TempDirectory($"promtool-{seed}");
        await PythonPeerDifferentialTests.WriteDirectoryAsync(seed, dir.Path);
        ProcessResult scrape = (await ChorusCli.ScrapeAsync(dir.Path)).EnsureSuccess();
        Assert.Contains("# TYPE", scrape.Stdout, StringComparison.Ordinal);

        ProcessResult check = await RunPromtoolAsync(scrape.Stdout);

        Assert.True(check.ExitCode is 0 or LintFindingsExitCode, "promtool rejected chorus output: " + check.Describe());
        string[] findings = (check.Stdout + check.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(findings, line => Assert.EndsWith("no help text", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Promtool_RejectsBrokenText_SoTheCheckAboveCanFail()
    {
        ProcessResult check = await RunPromtoolAsync("metric{label=\"unterminated} 1\n");

        Assert.False(check.ExitCode is 0 or LintFindingsExitCode, check.Describe());
    }

    private static async Task<ProcessResult> RunPromtoolAsync(string text)
    {
        string input = Path.Combine(Path.GetTempPath(), $"chorus-promtool-{Guid.NewGuid():N}.prom");
        await File.WriteAllTextAsync(input, text);
        try
        {
            // promtool reads stdin only; a shell redirect keeps ChildProcess free of stdin plumbing.
            using ChildProcess child = ChildProcess.Start("/bin/sh", ["-c", "exec promtool check metrics < \"$1\"", "sh", input]);
            return await child.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            File.Delete(input);
        }
    }
}
