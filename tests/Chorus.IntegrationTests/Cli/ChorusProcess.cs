using System.Diagnostics;
using System.Text;

namespace Chorus.IntegrationTests.Cli;

/// <summary>Runs the built <c>chorus.dll</c> (copied next to the tests) as a real process.</summary>
internal static class ChorusProcess
{
    public static (int ExitCode, string Stdout, string Stderr) Run(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "chorus.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("PROMETHEUS_MULTIPROC_DIR");
        foreach (KeyValuePair<string, string?> pair in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[pair.Key] = pair.Value;
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("chorus did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chorus did not finish in 60 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Run(null, args);
}
