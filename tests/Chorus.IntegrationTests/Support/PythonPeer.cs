using System.Globalization;

namespace Chorus.IntegrationTests.Support;

/// <summary>
/// The real peer: Debian's prometheus_client 0.16 run by the system interpreter through the scripts in
/// <c>python/</c>. A missing interpreter or library makes the calling test fail (never skip).
/// </summary>
internal static class PythonPeer
{
    /// <summary>
    /// The system interpreter: the <c>python3</c> first on PATH may be another installation (pyenv) that
    /// cannot see Debian's python3-prometheus-client.
    /// </summary>
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>How long one Python process may take before the test fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Starts the interpreter with <paramref name="arguments"/> (a script path first, or <c>-m</c>/<c>-c</c>).</summary>
    public static ChildProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null) =>
        ChildProcess.Start(Interpreter, arguments, environment, workingDirectory);

    /// <summary>Runs the interpreter to completion within <paramref name="timeout"/> (blocking, for synchronous tests).</summary>
    public static ProcessResult Run(IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        using ChildProcess child = Start(arguments, workingDirectory: workingDirectory);
        return child.Wait(timeout);
    }

    /// <summary>Runs a harness script of <c>python/</c> to completion (blocking, for synchronous tests).</summary>
    public static ProcessResult RunScript(string script, params string[] arguments) =>
        Run([RepoPaths.PythonScript(script), .. arguments], Timeout);

    /// <summary>Starts one worker of the seeded workload writing into <paramref name="directory"/>.</summary>
    /// <param name="seed">The workload seed shared by every process of one directory.</param>
    /// <param name="role">Which part of the workload this process plays.</param>
    /// <param name="directory">The multiprocess directory.</param>
    /// <param name="deadPids">Earlier processes this one declares dead (<c>mark_process_dead</c>).</param>
    public static ChildProcess StartWorkload(int seed, int role, string directory, IEnumerable<int>? deadPids = null)
    {
        var args = new List<string>
        {
            RepoPaths.PythonScript("write_workload.py"),
            seed.ToString(CultureInfo.InvariantCulture),
            role.ToString(CultureInfo.InvariantCulture),
            directory,
        };
        args.AddRange((deadPids ?? []).Select(p => p.ToString(CultureInfo.InvariantCulture)));
        return Start(args);
    }

    /// <summary>Runs one worker to completion and returns its pid.</summary>
    public static async Task<int> RunWorkloadAsync(int seed, int role, string directory, IEnumerable<int>? deadPids = null)
    {
        using ChildProcess child = StartWorkload(seed, role, directory, deadPids);
        ProcessResult result = (await child.WaitAsync(Timeout)).EnsureSuccess();
        return result.Pid;
    }

    /// <summary>
    /// What Python's own exporter (<c>MultiProcessCollector</c> + <c>generate_latest</c>) serves for
    /// <paramref name="directory"/>, in <paramref name="format"/> (<c>prometheus</c> or <c>openmetrics</c>).
    /// </summary>
    public static async Task<string> CollectAsync(string directory, string format = "prometheus")
    {
        using ChildProcess child = Start([RepoPaths.PythonScript("collect.py"), directory, format]);
        return (await child.WaitAsync(Timeout)).EnsureSuccess().Stdout;
    }

    /// <summary>Runs a harness script and returns its result.</summary>
    public static async Task<ProcessResult> RunScriptAsync(string script, params string[] arguments)
    {
        using ChildProcess child = Start([RepoPaths.PythonScript(script), .. arguments]);
        return await child.WaitAsync(Timeout);
    }
}
