using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Chorus.IntegrationTests.Serve;

/// <summary>A <c>chorus serve</c> process (the built CLI copied next to the tests), listening on a free loopback port.</summary>
internal sealed partial class ChorusServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private ChorusServeProcess(Process process, Uri metricsUrl)
    {
        _process = process;
        MetricsUrl = metricsUrl;
    }

    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "chorus.dll");

    public Uri MetricsUrl { get; }

    public Uri BaseAddress => new(MetricsUrl, "/");

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static Process Launch(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("PROMETHEUS_MULTIPROC_DIR");
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }

    /// <summary>Starts <c>chorus serve --dir DIR --listen 127.0.0.1:0</c> plus <paramref name="extraArgs"/> and waits for its URL.</summary>
    public static async Task<ChorusServeProcess> StartAsync(string directory, params string[] extraArgs)
    {
        Process process = Launch(["serve", "--dir", directory, "--listen", "127.0.0.1:0", .. extraArgs]);
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && UrlPattern().Match(e.Data) is { Success: true } match)
            {
                url.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Task exited = process.WaitForExitAsync();
        Task finished = await Task.WhenAny(url.Task, exited, Task.Delay(TimeSpan.FromSeconds(30)));
        if (finished != url.Task)
        {
            string reason = finished == exited ? $"exited with {process.ExitCode}" : "printed no URL within 30 s";
            if (!process.HasExited)
            {
                process.Kill();
            }

            lock (stderr)
            {
                throw new InvalidOperationException($"chorus serve {reason}: {stderr}");
            }
        }

        var server = new ChorusServeProcess(process, await url.Task);
        lock (stderr)
        {
            server._stderr.Append(stderr);
        }

        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (server._stderr)
                {
                    server._stderr.AppendLine(e.Data);
                }
            }
        };
        return server;
    }

    /// <summary>Runs the CLI to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using Process process = Launch(args);
        using var cts = new CancellationTokenSource(timeout);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Sends SIGTERM and returns the exit code.</summary>
    public async Task<int> TerminateAsync(string signal = "TERM")
    {
        using (Process kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }

    [GeneratedRegex(@" on (https?://\S+/metrics)")]
    private static partial Regex UrlPattern();
}
