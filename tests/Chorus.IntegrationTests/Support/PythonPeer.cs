using System.Globalization;

namespace Chorus.IntegrationTests.Support;

/// <summary>
/// The real peer: Debian's prometheus_client 0.16 run by the system interpreter through the scripts in
/// <c>python/</c>, or, with <see cref="Newest"/> as the environment, Debian trixie's 0.21.1 (16-byte layout)
/// fetched into the repository by <c>tests/peers/fetch-prometheus-client-0.21.sh</c>. A missing interpreter or
/// library makes the calling test fail (never skip).
/// </summary>
internal static class PythonPeer
{
    /// <summary>
    /// The system interpreter: the <c>python3</c> first on PATH may be another installation (pyenv) that
    /// cannot see Debian's python3-prometheus-client.
    /// </summary>
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>The environment that puts prometheus_client 0.21.1 first on the interpreter's path.</summary>
    public static IReadOnlyDictionary<string, string?> Newest => new Dictionary<string, string?> { ["PYTHONPATH"] = RepoPaths.PrometheusClient021 };

    /// <summary>How long one Python process may take before the test fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Starts the interpreter with <paramref name="arguments"/> (a script path first, or <c>-m</c>/<c>-c</c>).</summary>
    public static ChildProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null) =>
        ChildProcess.Start(Interpreter, arguments, environment, workingDirectory);

    /// <summary>Runs the interpreter to completion within <paramref name="timeout"/> (blocking, for synchronous tests).</summary>
    public static ProcessResult Run(IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        using ChildProcess child = Start(arguments, environment, workingDirectory);
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
    /// <param name="environment">The peer's environment (<see cref="Newest"/> for 0.21; none for Debian's 0.16).</param>
    public static ChildProcess StartWorkload(int seed, int role, string directory, IEnumerable<int>? deadPids = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var args = new List<string>
        {
            RepoPaths.PythonScript("write_workload.py"),
            seed.ToString(CultureInfo.InvariantCulture),
            role.ToString(CultureInfo.InvariantCulture),
            directory,
        };
        args.AddRange((deadPids ?? []).Select(p => p.ToString(CultureInfo.InvariantCulture)));
        return Start(args, environment);
    }

    /// <summary>Runs one worker to completion and returns its pid.</summary>
    public static async Task<int> RunWorkloadAsync(int seed, int role, string directory, IEnumerable<int>? deadPids = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        using ChildProcess child = StartWorkload(seed, role, directory, deadPids, environment);
        ProcessResult result = (await child.WaitAsync(Timeout)).EnsureSuccess();
        return result.Pid;
    }

    /// <summary>
    /// What Python's own exporter (<c>MultiProcessCollector</c> + <c>generate_latest</c>) serves for
    /// <paramref name="directory"/>, in <paramref name="format"/> (<c>prometheus</c> or <c>openmetrics</c>).
    /// </summary>
    public static async Task<string> CollectAsync(string directory, string format = "prometheus", IReadOnlyDictionary<string, string?>? environment = null)
    {
        using ChildProcess child = Start([RepoPaths.PythonScript("collect.py"), directory, format], environment);
        return (await child.WaitAsync(Timeout)).EnsureSuccess().Stdout;
    }

    /// <summary>Runs a harness script and returns its result.</summary>
    public static async Task<ProcessResult> RunScriptAsync(string script, params string[] arguments) =>
        await RunScriptAsync(null, script, arguments);

    /// <summary>Runs a harness script in <paramref name="environment"/> and returns its result.</summary>
    public static async Task<ProcessResult> RunScriptAsync(IReadOnlyDictionary<string, string?>? environment, string script, params string[] arguments)
    {
        using ChildProcess child = Start([RepoPaths.PythonScript(script), .. arguments], environment);
        return await child.WaitAsync(Timeout);
    }
}
