using System.Buffers;
using System.Text;
using Chorus.Exposition;

namespace Chorus.IntegrationTests.Serve;

/// <summary>A source whose collections block until the test opens the gate, to make scrapes overlap for sure.</summary>
internal sealed class GatedScrapeSource : IScrapeSource, IDisposable
{
    private readonly ManualResetEventSlim _gate = new(false);
    private readonly SemaphoreSlim _entered = new(0);
    private int _collections;

    public int Collections => Volatile.Read(ref _collections);

    public Task<bool> WaitForCollectionAsync(TimeSpan timeout) => _entered.WaitAsync(timeout);

    public void Open() => _gate.Set();

    public void Collect(IBufferWriter<byte> output, ExpositionFormat format)
    {
        int n = Interlocked.Increment(ref _collections);
        _entered.Release();
        if (!_gate.Wait(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException("the test never opened the gate");
        }

        output.Write(Encoding.UTF8.GetBytes($"# TYPE collection gauge\ncollection {n}\n" + (format == ExpositionFormat.OpenMetrics ? "# EOF\n" : "")));
    }

    public void Dispose()
    {
        _gate.Dispose();
        _entered.Dispose();
    }
}
