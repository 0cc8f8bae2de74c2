using System.Collections.Concurrent;
using System.Diagnostics;

namespace Chorus.IntegrationTests.Writer;

/// <summary>A TestChild process that keeps running; its stdout lines are collected as they arrive.</summary>
internal sealed class RunningChild : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly Task _reader;

    public RunningChild(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? dll = null)
    {
        _process = Process.Start(WriterTestEnvironment.Dotnet(dll ?? WriterTestEnvironment.TestChildDll, args, environment))!;
        _reader = Task.Run(() =>
        {
            while (_process.StandardOutput.ReadLine() is { } line)
            {
                _lines.Add(line);
                LastLine = line;
            }

            _lines.CompleteAdding();
        });
    }

    public int Id => _process.Id;

    public volatile string? LastLine;

    /// <summary>Waits (bounded) for a line starting with <paramref name="prefix"/> and returns the rest of it.</summary>
    public string WaitFor(string prefix, int timeoutSeconds = 30)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(timeoutSeconds))
        {
            if (_lines.TryTake(out string? line, 200))
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line[prefix.Length..].Trim();
                }
            }
            else if (_lines.IsCompleted)
            {
                break;
            }
        }

        throw new TimeoutException($"child {_process.Id} printed no '{prefix}' line in {timeoutSeconds}s (stderr: {SafeStderr()})");
    }

    /// <summary>SIGKILL, then wait (bounded) until the process is gone and its output drained.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        Assert.True(_process.WaitForExit(10_000), "killed child did not exit");
        _reader.Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>Sends SIGTERM (a clean stop request).</summary>
    public void Terminate()
    {
        using Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit(5000);
    }

    /// <summary>Waits (bounded) for the process to exit on its own.</summary>
    public int WaitForExit(int timeoutSeconds = 30)
    {
        Assert.True(_process.WaitForExit(timeoutSeconds * 1000), "process did not exit");
        _reader.Wait(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    /// <summary>Closes stdin (children waiting on it exit) and waits.</summary>
    public int Finish()
    {
        _process.StandardInput.Close();
        Assert.True(_process.WaitForExit(20_000), "child did not exit after stdin closed");
        _reader.Wait(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private string SafeStderr()
    {
        if (!_process.HasExited)
        {
            return "(still running)";
        }

        return _process.StandardError.ReadToEnd();
    }
}
