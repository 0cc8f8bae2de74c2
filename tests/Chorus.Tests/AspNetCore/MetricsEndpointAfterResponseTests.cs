using System.Buffers;
using System.Text;
using Chorus.Aggregation;
using Chorus.AspNetCore;
using Chorus.AspNetCore.Http;
using Chorus.Exposition;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// Work that only spares later scrapes (freezing probes of newly dead files, compressing again the gzip members that
/// stayed) starts once the response is sent, not beside it: on a small machine it took a core from the response.
/// </summary>
public sealed class MetricsEndpointAfterResponseTests
{
    [Fact]
    public async Task FreezingProbes_StartOnceTheResponseIsSent_WithoutAnotherScrape()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder(capacity: 4096).Add("c", "c_total", 1.0).WriteTo(dir.File("counter_3900001.db"));
        new DbFileBuilder(capacity: 4096).Add("c", "c_total", 2.0).WriteTo(dir.File("counter_3900002.db"));
        var probed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        SlowClient? client = null;
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions
        {
            ProbeAfterCollection = true,
            ListingSettleTime = TimeSpan.FromMilliseconds(10),
            BeforeProbesAfterResponse = () => probed.TrySetResult(Volatile.Read(ref client)?.Received ?? -1),
        });
        var endpoint = new MetricsEndpoint(reader, new ChorusEndpointOptions { IncludeSelfMetrics = false }, NullLogger.Instance);

        // The second scrape offers both files for freezing; a client slow to take the body gives probes run beside the
        // response every chance to start before it is sent.
        await ScrapeAsync(endpoint, new SlowClient(TimeSpan.Zero));
        client = new SlowClient(TimeSpan.FromMilliseconds(300));
        long sent = await ScrapeAsync(endpoint, client);

        long receivedWhenProbed = await probed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sent > 0);
        Assert.Equal(sent, receivedWhenProbed);
        Assert.Equal(2, reader.Diagnostics.FrozenFileCount);
    }

    [Fact]
    public async Task ChangedParts_SentFast_AreCompressedAgainAfterTheResponse_WhenTheyStay()
    {
        var source = new FixedSource(string.Concat(Enumerable.Range(0, 60).Select(Family)));
        var endpoint = new MetricsEndpoint(source, new ChorusEndpointOptions { IncludeSelfMetrics = false }, NullLogger.Instance);
        long first = await ScrapeAsync(endpoint, new SlowClient(TimeSpan.Zero));

        // The second scrape finds every part again; they are compressed at Optimal once its response is sent.
        long later = first;
        for (int scrape = 0; scrape < 100 && later > first * 3 / 4; scrape++)
        {
            later = await ScrapeAsync(endpoint, new SlowClient(TimeSpan.Zero));
            await Task.Delay(scrape == 0 ? 0 : 50);
        }

        Assert.True(later <= first * 3 / 4, $"{later} bytes sent after the first scrape's {first}");
    }

    private static string Family(int id) =>
        $"# HELP app_family_{id} Family {id}.\n# TYPE app_family_{id} gauge\n"
        + string.Concat(Enumerable.Range(0, 150).Select(i => $"app_family_{id}{{instance=\"worker-{i}\"}} {(i * 7) + id}\n"));

    private static async Task<long> ScrapeAsync(MetricsEndpoint endpoint, SlowClient client)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Accept = "text/plain;version=0.0.4";
        context.Request.Headers.AcceptEncoding = "gzip";
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(client));
        await endpoint.HandleAsync(context);
        return client.Received;
    }

    /// <summary>A source whose exposition never changes.</summary>
    private sealed class FixedSource(string text) : IScrapeSource
    {
        private readonly byte[] _bytes = Encoding.UTF8.GetBytes(text);

        public void Collect(IBufferWriter<byte> output, ExpositionFormat format) => output.Write(_bytes);
    }

    /// <summary>A client that waits before taking each write, counting the bytes taken.</summary>
    private sealed class SlowClient(TimeSpan delay) : Stream
    {
        private long _received;

        public long Received => Interlocked.Read(ref _received);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Received;

        public override long Position { get => Received; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(delay, cancellationToken);
            Interlocked.Add(ref _received, buffer.Length);
        }
    }
}
