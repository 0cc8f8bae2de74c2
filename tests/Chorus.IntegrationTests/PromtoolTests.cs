using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>Prometheus's own linter (<c>promtool check metrics</c>, Debian's prometheus package) accepts what <c>chorus scrape</c> prints.</summary>
public sealed class PromtoolTests
{
    public static TheoryData<int> Seeds => [21, 22, 23];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task PromtoolCheckMetrics_AcceptsScrapeOfPythonWrittenDirectory(int seed)
    {
        using var dir = new TempDirectory($"promtool-{seed}");
        await PythonPeerDifferentialTests.WriteDirectoryAsync(seed, dir.Path);
        ProcessResult scrape = (await ChorusCli.ScrapeAsync(dir.Path)).EnsureSuccess();
        Assert.Contains("# TYPE", scrape.Stdout, StringComparison.Ordinal);

        PromtoolCheck check = await Promtool.CheckMetricsAsync(scrape.Stdout);

        Assert.True(check.ExitCode is 0 or Promtool.LintFindingsExitCode, "promtool rejected chorus output: " + check.Describe());
        string[] findings = (check.Stdout + check.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(findings, line => Assert.EndsWith("no help text", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Promtool_RejectsBrokenText_SoTheCheckAboveCanFail()
    {
        PromtoolCheck check = await Promtool.CheckMetricsAsync("metric{label=\"unterminated} 1\n");

        Assert.False(check.ExitCode is 0 or Promtool.LintFindingsExitCode, check.Describe());
    }
}
