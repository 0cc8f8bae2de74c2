namespace Chorus.IntegrationTests.Support;

/// <summary>Runs <c>promtool check metrics</c> (Debian's <c>prometheus</c> package) on an exposition fed through stdin.</summary>
internal static class Promtool
{
    /// <summary>promtool exits 3 when the text parsed but lint rules found something, 1 when it did not parse.</summary>
    public const int LintFindingsExitCode = 3;

    public static async Task<ProcessResult> CheckMetricsAsync(string exposition)
    {
        using ChildProcess promtool = ChildProcess.Start("promtool", ["check", "metrics"], input: exposition);
        return await promtool.WaitAsync(TimeSpan.FromSeconds(60));
    }
}
