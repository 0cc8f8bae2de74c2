using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Cli.Demo;

/// <summary>
/// Starts worker processes (the same <c>chorus</c> program, hidden <c>demo-worker</c> command), replaces each
/// one that exits after its requests, hands out request quotas so the total is exact, and reports progress.
/// </summary>
internal sealed class DemoSupervisor(DemoSettings settings)
{
    private static readonly TimeSpan s_reportEvery = TimeSpan.FromSeconds(1);

    private readonly List<Process> _running = [];
    private long _assigned;
    private long _servedReported;
    private int _started;
    private int _seed;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // Ctrl-C and SIGTERM stop the demo cleanly whatever else (the HTTP host) listens for them.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        cancellationToken = stop.Token;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        bool ownDirectory = settings.Directory is null;
        string directory = settings.Directory is { } given ? Path.GetFullPath(given) : Directory.CreateTempSubdirectory("chorus-demo-").FullName;
        if (!Directory.Exists(directory))
        {
            await Console.Error.WriteLineAsync($"chorus demo: directory '{directory}' does not exist; create it or leave out --dir for a temporary one.").ConfigureAwait(false);
            return 1;
        }

        try
        {
            using MultiProcessDirectory merged = MultiProcessDirectory.Open(directory);
            await using DemoEndpoint? endpoint = settings.Serve ? await DemoEndpoint.StartAsync(merged, settings.Listen, cancellationToken).ConfigureAwait(false) : null;
            Console.WriteLine($"chorus demo: {settings.Workers} workers, each replaced after {settings.MaxRequests} requests, writing {directory}");
            Console.WriteLine(endpoint is null ? "chorus demo: not serving (--no-serve); run 'chorus scrape --dir " + directory + "' to look" : $"chorus demo: metrics at {endpoint.Url}");

            await SuperviseAsync(directory, merged, cancellationToken).ConfigureAwait(false);
            await DrainAsync().ConfigureAwait(false);
            double total = RequestsTotal(merged);
            Console.WriteLine($"chorus demo: done: {_started} workers started, {_servedReported} requests reported by workers, merged demo_requests_total = {total.ToString(CultureInfo.InvariantCulture)}");
            Console.WriteLine($"requests={_servedReported.ToString(CultureInfo.InvariantCulture)}");
            return total == _servedReported ? 0 : 1;
        }
        finally
        {
            StopAll();
            if (ownDirectory)
            {
                TryDelete(directory);
            }
        }
    }

    private async Task SuperviseAsync(string directory, MultiProcessDirectory merged, CancellationToken cancellationToken)
    {
        var lastReport = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            ReapExited();
            while (_running.Count < settings.Workers && NextQuota() is { } quota)
            {
                Start(directory, quota);
            }

            if (_running.Count == 0)
            {
                return;
            }

            if (lastReport.Elapsed >= s_reportEvery)
            {
                Report(directory, merged);
                lastReport.Restart();
            }

            try
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("chorus demo: stopping; waiting for the workers to finish their current request");
            }
        }
    }

    // After Ctrl-C: ask the running workers to finish (stdin closed), so each reports what it served.
    private async Task DrainAsync()
    {
        foreach (Process process in _running)
        {
            process.StandardInput.Close();
        }

        var deadline = Stopwatch.StartNew();
        while (_running.Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            ReapExited();
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private int? NextQuota()
    {
        long remaining = settings.Requests is { } limit ? limit - _assigned : long.MaxValue;
        return remaining <= 0 ? null : (int)Math.Min(settings.MaxRequests, remaining);
    }

    private void Start(string directory, int quota)
    {
        var info = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        };

        // Started as `dotnet chorus.dll` the process path is the dotnet host: pass the assembly too.
        string processPath = Environment.ProcessPath ?? "dotnet";
        info.FileName = processPath;
        if (Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // AppContext.BaseDirectory, not Assembly.Location: the native build has no assembly files to locate.
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "chorus.dll"));
        }

        info.ArgumentList.Add(Commands.DemoWorkerCommand.Name);
        info.ArgumentList.Add("--max-requests");
        info.ArgumentList.Add(quota.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--seed");
        info.ArgumentList.Add((++_seed).ToString(CultureInfo.InvariantCulture));
        info.Environment[ChorusOptions.DirectoryVariable] = directory;
        info.Environment.Remove(ChorusOptions.IdentityVariable);

        Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start a worker process");
        _assigned += quota;
        _started++;
        _running.Add(process);
    }

    private void ReapExited()
    {
        for (int i = _running.Count - 1; i >= 0; i--)
        {
            Process process = _running[i];
            if (!process.HasExited)
            {
                continue;
            }

            string output = process.StandardOutput.ReadToEnd();
            foreach (string line in output.Split('\n'))
            {
                if (line.StartsWith("served ", StringComparison.Ordinal))
                {
                    string count = line["served ".Length..].Split(' ')[0];
                    _servedReported += long.Parse(count, CultureInfo.InvariantCulture);
                }
            }

            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"chorus demo: worker {process.Id} exited with code {process.ExitCode}");
            }

            process.Dispose();
            _running.RemoveAt(i);
        }
    }

    private void Report(string directory, MultiProcessDirectory merged)
    {
        int files = Directory.GetFiles(directory, "*.db").Length;
        Console.WriteLine($"chorus demo: live workers {_running.Count}, started {_started}, files {files}, requests served {RequestsTotal(merged).ToString(CultureInfo.InvariantCulture)}");
    }

    private static double RequestsTotal(MultiProcessDirectory merged)
    {
        double total = 0;
        foreach (MetricFamily family in merged.CollectFamilies())
        {
            if (family.Name == "demo_requests")
            {
                foreach (Sample sample in family.Samples)
                {
                    total += sample.Value;
                }
            }
        }

        return total;
    }

    private void StopAll()
    {
        foreach (Process process in _running)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        _running.Clear();
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"chorus demo: could not remove {directory}: {e.Message}");
        }
    }
}
