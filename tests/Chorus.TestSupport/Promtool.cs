using System.Diagnostics;

namespace Chorus.TestSupport;

/// <summary>What <c>promtool check metrics</c> said.</summary>
/// <param name="ExitCode">0: valid; <see cref="Promtool.LintFindingsExitCode"/>: parsed, with lint findings; 1: did not parse.</param>
/// <param name="Stdout">Its standard output.</param>
/// <param name="Stderr">Its standard error (the findings).</param>
public sealed record PromtoolCheck(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Exit code and output, for assertion messages.</summary>
    public string Describe() => $"promtool exit {ExitCode}: {Stdout}{Stderr}";
}

/// <summary>Runs the real <c>promtool check metrics</c> (Debian's prometheus package) on an exposition fed through stdin.</summary>
public static class Promtool
{
    /// <summary>promtool exits 3 when the text parsed but lint rules found something, 1 when it did not parse.</summary>
    public const int LintFindingsExitCode = 3;

    /// <summary>Checks <paramref name="exposition"/>; fails the test when promtool does not finish within a minute.</summary>
    public static async Task<PromtoolCheck> CheckMetricsAsync(string exposition)
    {
        var start = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new PromtoolCheck(process.ExitCode, await output, await error);
    }

    /// <summary>The synchronous <see cref="CheckMetricsAsync"/>, for synchronous tests.</summary>
    public static PromtoolCheck CheckMetrics(string exposition) => CheckMetricsAsync(exposition).GetAwaiter().GetResult();

    /// <summary>Asserts promtool parses the text and finds nothing but empty-HELP lints (which prometheus_client's own output has too).</summary>
    public static void AssertValid(string exposition)
    {
        PromtoolCheck check = CheckMetrics(exposition);
        string[] findings = (check.Stdout + check.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(check.ExitCode == 0 || (check.ExitCode == LintFindingsExitCode && findings.All(f => f.EndsWith(" no help text", StringComparison.Ordinal))), check.Describe());
    }
}
