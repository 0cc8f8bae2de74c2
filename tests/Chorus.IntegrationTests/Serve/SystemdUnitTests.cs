using System.Globalization;
using System.Text.RegularExpressions;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// <c>deploy/systemd/</c>: the units pass <c>systemd-analyze verify</c> (Debian's systemd 252; no systemd runs as PID 1
/// here), and the service's own command line, run with the socket passed the way systemd passes it, serves (the native
/// binary also under the kernel's no-new-privileges and memory-deny-write-execute, as the unit sets them).
/// </summary>
public sealed partial class SystemdUnitTests
{
    private static string UnitDirectory => Path.Combine(RepoPaths.RepoRoot, "deploy", "systemd");

    [Fact]
    public void Units_PassSystemdAnalyzeVerify_WithAndWithoutTheCompactionDropIn()
    {
        using var dir = new TempDirectory("units");
        string service = InstallUnits(dir, withDropIn: false);
        ProcessResult plain = ChildProcess.Run("systemd-analyze", ["verify", dir.File("chorus.socket"), service], TimeSpan.FromSeconds(60));
        InstallUnits(dir, withDropIn: true);
        ProcessResult withDropIn = ChildProcess.Run("systemd-analyze", ["verify", service], TimeSpan.FromSeconds(60));

        // verify exits 0 on many mistakes (an unknown setting or value is "ignored"): any output is a finding.
        Assert.True(plain.ExitCode == 0 && plain.Stderr.Length == 0, $"exit {plain.ExitCode}:\n{plain.Stderr}");
        Assert.True(withDropIn.ExitCode == 0 && withDropIn.Stderr.Length == 0, $"exit {withDropIn.ExitCode}:\n{withDropIn.Stderr}");
    }

    [Fact]
    public async Task Service_ItsOwnCommandLine_ServesThroughTheSocketPassedAsDescriptor3()
    {
        using var dir = new TempDirectory("units");
        string metricsDirectory = dir.Subdirectory("app-metrics");
        await PythonWriters.RunToCompletionAsync(metricsDirectory, workers: 1, iterations: 3);
        string unit = await File.ReadAllTextAsync(Path.Combine(UnitDirectory, "chorus.service"));
        string[] execStart = ExecStartPattern().Match(unit).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/usr/local/bin/chorus", execStart[0]);
        Assert.Contains("PROMETHEUS_MULTIPROC_DIR=/run/app-metrics", unit, StringComparison.Ordinal);
        string[] arguments = execStart[1..].Where(a => a != "$CHORUS_ARGS").ToArray(); // CHORUS_ARGS is empty by default

        // The unit's NoNewPrivileges and MemoryDenyWriteExecute are for the native binary (a JIT needs W+X memory).
        Assert.Contains("MemoryDenyWriteExecute=yes", unit, StringComparison.Ordinal);
        string[] harden = ChorusCli.IsNative ? ["--harden"] : [];
        ChildProcess launcher = ChildProcess.Start(
            PythonPeer.Interpreter,
            [RepoPaths.PythonScript("systemd_socket_launcher.py"), .. harden, .. ChorusCli.CommandLine(arguments)],
            new Dictionary<string, string?> { ["PROMETHEUS_MULTIPROC_DIR"] = metricsDirectory });
        string portLine = await launcher.WaitForLineAsync(l => l.StartsWith("port ", StringComparison.Ordinal), "naming the passed socket's port", TimeSpan.FromSeconds(30));
        int port = int.Parse(portLine["port ".Length..], CultureInfo.InvariantCulture);
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(launcher);
        using HttpClient client = ScrapeClient.Create(new Uri($"http://127.0.0.1:{port}/"));

        string metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(3, ExpositionSamples.Parse(metrics)["serve_test_jobs_total{worker=\"1\"}"]);
    }

    /// <summary>Copies the units into <paramref name="dir"/>, with the program that runs chorus here in place of /usr/local/bin/chorus.</summary>
    private static string InstallUnits(TempDirectory dir, bool withDropIn)
    {
        string host = ChorusCli.CommandLine([])[0];
        string program = Path.IsPathRooted(host) ? host : ResolveOnPath(host);
        File.WriteAllText(dir.File("chorus.service"), File.ReadAllText(Path.Combine(UnitDirectory, "chorus.service")).Replace("/usr/local/bin/chorus", program, StringComparison.Ordinal));
        File.Copy(Path.Combine(UnitDirectory, "chorus.socket"), dir.File("chorus.socket"), overwrite: true);
        if (withDropIn)
        {
            File.Copy(Path.Combine(UnitDirectory, "chorus-compact.conf"), Path.Combine(dir.Subdirectory("chorus.service.d"), "compact.conf"), overwrite: true);
        }

        return dir.File("chorus.service");
    }

    private static string ResolveOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{program} is not on PATH");

    [GeneratedRegex(@"(?m)^ExecStart=(.*)$")]
    private static partial Regex ExecStartPattern();
}
