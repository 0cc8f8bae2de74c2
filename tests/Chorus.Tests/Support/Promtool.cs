using System.Diagnostics;
using System.Text;

namespace Chorus.Tests.Support;

/// <summary>Runs the real <c>promtool check metrics</c> (Debian's prometheus package) on a text exposition.</summary>
public static class Promtool
{
    /// <summary>Exit code 0 means valid with no lint; 3 means lint findings only (for example empty HELP).</summary>
    public static (int ExitCode, string Output) CheckMetrics(string exposition)
    {
        var start = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        process.StandardInput.Write(exposition);
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "promtool did not finish in 30 s");
        return (process.ExitCode, new StringBuilder().Append(output.Result).Append(error.Result).ToString());
    }

    /// <summary>Asserts promtool parses the text and finds nothing but empty-HELP lints (which prometheus_client's own output has too).</summary>
    public static void AssertValid(string exposition)
    {
        (int exitCode, string output) = CheckMetrics(exposition);
        string[] findings = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(exitCode == 0 || (exitCode == 3 && findings.All(f => f.EndsWith(" no help text", StringComparison.Ordinal))), $"promtool exit {exitCode}: {output}");
    }
}
