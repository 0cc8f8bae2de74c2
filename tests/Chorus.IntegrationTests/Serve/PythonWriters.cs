using System.Diagnostics;

namespace Chorus.IntegrationTests.Serve;

/// <summary>Real prometheus_client workers (Debian's <c>/usr/bin/python3</c>) writing a multiprocess directory.</summary>
internal sealed class PythonWriters : IDisposable
{
    private readonly List<Process> _processes = [];

    public static PythonWriters Start(string directory, int workers, int iterations, int sleepMs)
    {
        var writers = new PythonWriters();
        string script = Path.Combine(AppContext.BaseDirectory, "python", "serve_writer.py");
        for (int worker = 1; worker <= workers; worker++)
        {
            var start = new ProcessStartInfo("/usr/bin/python3")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { script, directory, worker.ToString(System.Globalization.CultureInfo.InvariantCulture), iterations.ToString(System.Globalization.CultureInfo.InvariantCulture), sleepMs.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(arg);
            }

            writers._processes.Add(Process.Start(start) ?? throw new InvalidOperationException("python3 did not start"));
        }

        return writers;
    }

    /// <summary>Waits for every worker; each must print "done" and exit 0.</summary>
    public async Task WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        foreach (Process process in _processes)
        {
            string stdout = await process.StandardOutput.ReadToEndAsync(cts.Token);
            string stderr = await process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);
            Assert.True(process.ExitCode == 0 && stdout.Contains("done", StringComparison.Ordinal), $"python writer failed ({process.ExitCode}): {stderr}");
        }
    }

    public void Dispose()
    {
        foreach (Process process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
        }
    }
}
