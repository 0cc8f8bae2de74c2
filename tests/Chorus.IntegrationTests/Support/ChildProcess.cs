using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Chorus.IntegrationTests.Support;

/// <summary>
/// A started child process whose output is drained while it runs (so a full pipe never blocks it), which can
/// be watched line by line, and which is killed, with its children, if it outlives its time limit or the test.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_killTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_defaultLineTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _commandLine;
    private readonly DrainedStream _stdout;
    private readonly DrainedStream _stderr;
    private int _linesConsumed;

    private ChildProcess(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
        _stdout = new DrainedStream(process.StandardOutput);
        _stderr = new DrainedStream(process.StandardError);
    }

    /// <summary>The child's process id.</summary>
    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code (only once the child has exited).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the child wrote to stderr so far.</summary>
    public string StderrSoFar => _stderr.Text;

    /// <summary>The last line the child wrote to stdout so far (the unterminated rest once stdout has ended), or null.</summary>
    public string? LastLine => _stdout.LastLine;

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/> (no shell, no quoting issues).</summary>
    /// <param name="fileName">The executable.</param>
    /// <param name="arguments">Arguments, passed as they are.</param>
    /// <param name="environment">Variables to set; a null value removes the variable.</param>
    /// <param name="workingDirectory">Where the child starts; the test's own when null.</param>
    /// <param name="keepInputOpen">Leave stdin open (children that run until it closes); otherwise it is closed at once.</param>
    /// <param name="input">Text written to stdin before it is closed.</param>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        bool keepInputOpen = false,
        string? input = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // A test never inherits a multiprocess directory or a writer setting from the machine it runs on.
        info.Environment.Remove("PROMETHEUS_MULTIPROC_DIR");
        info.Environment.Remove("prometheus_multiproc_dir");
        info.Environment.Remove("CHORUS_VALUE_LAYOUT");
        info.Environment.Remove("CHORUS_IDENTITY");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        info.Environment["PYTHONIOENCODING"] = "utf-8";
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
        var child = new ChildProcess(process, commandLine);
        if (input is not null)
        {
            process.StandardInput.Write(input);
        }

        if (!keepInputOpen)
        {
            process.StandardInput.Close();
        }

        return child;
    }

    /// <summary>Runs <paramref name="fileName"/> to completion within <paramref name="timeout"/> (blocking, for synchronous tests).</summary>
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        using ChildProcess child = Start(fileName, arguments);
        return child.Wait(timeout);
    }

    /// <summary>Waits for the child to exit; kills it and fails the test when it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<ProcessResult> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw KillForTimeout(timeout);
        }

        await Task.WhenAll(_stdout.Completion, _stderr.Completion).WaitAsync(s_drainTimeout).ConfigureAwait(false);
        return Result();
    }

    /// <summary>The blocking form of <see cref="WaitAsync"/>, for synchronous tests.</summary>
    public ProcessResult Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            throw KillForTimeout(timeout);
        }

        Task.WhenAll(_stdout.Completion, _stderr.Completion).Wait(s_drainTimeout);
        return Result();
    }

    /// <summary>Closes stdin (children waiting on it then finish) and waits as <see cref="Wait"/> does.</summary>
    public ProcessResult WaitAfterClosingInput(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        return Wait(timeout);
    }

    /// <summary>Whether the child exits within <paramref name="timeout"/>; it is left running when not.</summary>
    public bool ExitsWithin(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>
    /// Waits (bounded) for a stdout line starting with <paramref name="prefix"/> and returns the rest of it,
    /// trimmed. Lines are consumed in order: a later call looks only after the line an earlier one returned.
    /// </summary>
    public string WaitForLineStartingWith(string prefix, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? s_defaultLineTimeout;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            Task changed = _stdout.Changed;
            if (ConsumeLineWhere(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
            {
                return line[prefix.Length..].Trim();
            }

            TimeSpan left = limit - waited.Elapsed;
            if (_stdout.Ended || left <= TimeSpan.Zero)
            {
                throw NoSuchLine($"starting '{prefix}'", limit);
            }

            changed.Wait(left);
        }
    }

    /// <summary>Like <see cref="WaitForLineStartingWith"/>, without blocking, for the next line that <paramref name="matches"/>; returns the whole line.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> matches, string description, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            Task changed = _stdout.Changed;
            if (ConsumeLineWhere(matches) is { } line)
            {
                return line;
            }

            TimeSpan left = timeout - waited.Elapsed;
            if (_stdout.Ended || left <= TimeSpan.Zero)
            {
                throw NoSuchLine(description, timeout);
            }

            await Task.WhenAny(changed, Task.Delay(left)).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a signal by name (<c>TERM</c>, <c>INT</c>) with the system's <c>kill</c>.</summary>
    public void Signal(string name)
    {
        using ChildProcess kill = Start("kill", ["-" + name, Pid.ToString(CultureInfo.InvariantCulture)]);
        kill.Wait(TimeSpan.FromSeconds(5));
    }

    /// <summary>SIGKILLs the child and its descendants if it is still running, then waits (bounded) until it is gone and its output drained.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(s_killTimeout);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        Task.WhenAll(_stdout.Completion, _stderr.Completion).Wait(s_drainTimeout);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private TimeoutException KillForTimeout(TimeSpan timeout)
    {
        Kill();
        return new TimeoutException($"`{_commandLine}` did not finish within {timeout.TotalSeconds:0.#} s and was killed. stderr so far:\n{StderrSoFar}");
    }

    private ProcessResult Result() => new(_process.ExitCode, _stdout.Text, _stderr.Text, _process.Id, _commandLine);

    private TimeoutException NoSuchLine(string what, TimeSpan timeout)
    {
        string reason = _stdout.Ended
            ? $"it ended its output{(_process.HasExited ? $" and exited {_process.ExitCode}" : "")}"
            : $"not within {timeout.TotalSeconds:0.#} s";
        return new TimeoutException($"`{_commandLine}` (pid {Pid}) printed no line {what}: {reason}. stderr so far:\n{StderrSoFar}");
    }

    private string? ConsumeLineWhere(Func<string, bool> match)
    {
        while (_stdout.LineAt(_linesConsumed) is { } line)
        {
            _linesConsumed++;
            if (match(line))
            {
                return line;
            }
        }

        return null;
    }
}
