namespace Chorus.Aggregation;

/// <summary>
/// Kept files given up while a collection runs (a frozen file's descriptor and mapping handed to a file that changes),
/// unmapped and closed on the thread pool once the collection is done: <c>munmap</c> and <c>close</c> cost 10-25 µs a
/// file on a busy machine, and a worker replaced every second gives up about 15 per scrape after an idle gap. Nothing
/// reads a file given up (its <see cref="FileState.Kept"/> is cleared at once); only its descriptor lives a moment longer.
/// </summary>
internal sealed class KeptFileDisposal : IDisposable
{
    private readonly Lock _gate = new();
    private List<KeptFile> _pending = [];
    private Task _running = Task.CompletedTask;

    /// <summary>Files waiting to be disposed (for tests).</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Takes <paramref name="file"/> to dispose later (<see cref="Start"/>).</summary>
    public void Add(KeptFile file)
    {
        lock (_gate)
        {
            _pending.Add(file);
        }
    }

    /// <summary>Disposes the files given up so far on the thread pool (after the one still running, if any).</summary>
    public void Start()
    {
        List<KeptFile> batch;
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            batch = _pending;
            _pending = [];
            _running = _running.ContinueWith(static (_, state) => DisposeAll((List<KeptFile>)state!), batch, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    /// <summary>Waits for the disposals started and disposes the files not started yet.</summary>
    public void Dispose()
    {
        Task running;
        List<KeptFile> rest;
        lock (_gate)
        {
            running = _running;
            rest = _pending;
            _pending = [];
        }

        running.Wait();
        DisposeAll(rest);
    }

    private static void DisposeAll(List<KeptFile> files)
    {
        foreach (KeptFile file in files)
        {
            file.Dispose();
        }
    }
}
