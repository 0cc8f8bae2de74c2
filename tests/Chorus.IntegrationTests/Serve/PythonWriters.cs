using System.Diagnostics;
using System.Globalization;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>Real prometheus_client workers (<c>python/serve_writer.py</c>) writing a multiprocess directory.</summary>
internal sealed class PythonWriters : IDisposable
{
    private readonly List<ChildProcess> _processes = [];

    public static PythonWriters Start(string directory, int workers, int iterations, int sleepMs)
    {
        var writers = new PythonWriters();
        string script = RepoPaths.PythonScript("serve_writer.py");
        for (int worker = 1; worker <= workers; worker++)
        {
            writers._processes.Add(PythonPeer.Start(
                [script, directory, worker.ToString(CultureInfo.InvariantCulture), iterations.ToString(CultureInfo.InvariantCulture), sleepMs.ToString(CultureInfo.InvariantCulture)]));
        }

        return writers;
    }

    /// <summary>Runs the workers to completion (30 s in all unless told otherwise), each of them writing <paramref name="iterations"/> times.</summary>
    public static async Task RunToCompletionAsync(string directory, int workers, int iterations, int sleepMs = 0, TimeSpan? timeout = null)
    {
        using PythonWriters writers = Start(directory, workers, iterations, sleepMs);
        await writers.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>Waits, <paramref name="timeout"/> in all, for every worker; each must print "done" and exit 0.</summary>
    public async Task WaitAsync(TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        foreach (ChildProcess process in _processes)
        {
            ProcessResult result = await process.WaitAsync(timeout - waited.Elapsed);
            Assert.True(result.ExitCode == 0 && result.Stdout.Contains("done", StringComparison.Ordinal), $"python writer failed ({result.ExitCode}): {result.Stderr}");
        }
    }

    public void Dispose() => _processes.ForEach(p => p.Dispose());
}
