using System.Diagnostics;
using System.Text;

namespace Chorus.IntegrationTests.Support;

/// <summary>
/// A started child process whose output is drained while it runs (so a full pipe never blocks it) and
/// which is killed, with its children, if it outlives its time limit.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;
    private readonly string _commandLine;

    private ChildProcess(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The child's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/> (no shell, no quoting issues).</summary>
    /// <param name="fileName">The executable.</param>
    /// <param name="arguments">Arguments, passed as they are.</param>
    /// <param name="environment">Variables to set; a null value removes the variable.</param>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // A test never inherits a multiprocess directory from the machine it runs on.
        info.Environment.Remove("PROMETHEUS_MULTIPROC_DIR");
        info.Environment.Remove("prometheus_multiproc_dir");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        if (environment is not null)
        {
            foreach ((string name, string? value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(name);
                }
                else
                {
                    info.Environment[name] = value;
                }
            }
        }

        string commandLine = fileName + " " + string.Join(' ', info.ArgumentList.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {commandLine}");
        process.StandardInput.Close();
        return new ChildProcess(process, commandLine);
    }

    /// <summary>Waits for the child to exit; kills it and fails the test when it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<ProcessResult> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            string partialErr = await _stderr.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : "", TaskScheduler.Default);
            throw new TimeoutException($"`{_commandLine}` did not finish within {timeout.TotalSeconds:0.#} s and was killed. stderr so far:\n{partialErr}");
        }

        string stdout = await _stdout;
        string stderr = await _stderr;
        return new ProcessResult(_process.ExitCode, stdout, stderr, _process.Id, _commandLine);
    }

    /// <summary>Kills the child and its descendants if it is still running.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
