using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Chorus.AspNetCore;
using Chorus.AspNetCore.Http;
using Chorus.Exposition;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// A big body is handed to the server a bounded piece at a time (flushed every <see cref="ResponseBodyWriter.FlushBytes"/>),
/// not buffered whole before one flush, and still arrives byte for byte, gzipped or not.
/// </summary>
public sealed class MetricsEndpointBodyTests
{
    [Theory]
    [InlineData("gzip")]
    [InlineData("identity")]
    public async Task BigBody_IsFlushedInBoundedPieces_AndArrivesWhole(string encoding)
    {
        var source = new BigSource(families: 400, samplesPerFamily: 60);
        var endpoint = new MetricsEndpoint(source, new ChorusEndpointOptions { IncludeSelfMetrics = false }, NullLogger.Instance);
        (FlushRecordingStream sent, _) = await ScrapeAsync(endpoint, encoding);

        byte[] body = sent.Bytes.ToArray();
        byte[] plain = encoding == "gzip" ? Gunzip(body) : body;
        Assert.Equal(source.Expected, plain);
        Assert.True(body.Length > 2 * ResponseBodyWriter.FlushBytes, "the body is big enough to need several flushes");
        Assert.InRange(sent.LargestUnflushed, 1, ResponseBodyWriter.FlushBytes + (64 * 1024));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("identity")]
    public async Task BigBody_SentFromKeptRenderings_ArrivesWhole_AndReleasesThem(string encoding)
    {
        var source = new KeepingSource(new BigSource(families: 400, samplesPerFamily: 60).Expected);
        Assert.True(source.Expected.Length > 1 << 20, "big enough for the endpoint to keep renderings on the next scrape");
        var endpoint = new MetricsEndpoint(source, new ChorusEndpointOptions { IncludeSelfMetrics = false }, NullLogger.Instance);
        for (int scrape = 0; scrape < 3; scrape++)
        {
            (FlushRecordingStream sent, HttpContext context) = await ScrapeAsync(endpoint, encoding);

            byte[] body = sent.Bytes.ToArray();
            Assert.Equal(source.Expected, encoding == "gzip" ? Gunzip(body) : body);
            if (encoding == "identity")
            {
                Assert.Equal(source.Expected.Length, context.Response.ContentLength);
            }

            Assert.InRange(sent.LargestUnflushed, 1, ResponseBodyWriter.FlushBytes + (64 * 1024));
            Assert.Equal(0, source.Outstanding);
        }

        Assert.True(source.KeptWrites > 0, "the later scrapes took the big parts by reference");
        Assert.Null(endpoint.BodyArrays.Spare);
    }

    [Fact]
    public async Task TheBodyAfterABigFirstOne_CopiesOnlyWhatItDoesNotKeep_IntoAnArrayOfItsOwnSize()
    {
        // The first body keeps nothing and copies all of it; the next keeps every large part where it is.
        var source = new KeepingSource(new BigSource(families: 400, samplesPerFamily: 60).Expected, keepEvery: 1);
        var endpoint = new MetricsEndpoint(source, new ChorusEndpointOptions { IncludeSelfMetrics = false }, NullLogger.Instance);
        await ScrapeAsync(endpoint, "identity");
        Assert.Equal(0, source.KeptWrites);

        (FlushRecordingStream sent, _) = await ScrapeAsync(endpoint, "identity");

        // Sized from the first body's copy, it took a new body-sized array and left it as the spare.
        Assert.Equal(source.Expected, sent.Bytes.ToArray());
        Assert.True(source.KeptWrites > 0, "the second body took the big parts by reference");
        Assert.Null(endpoint.BodyArrays.Spare);
    }

    [Fact]
    public async Task GzipMembersOfAFormatNoScrapeAskedForLately_AreLetGo_AndMadeAgainWhenAskedFor()
    {
        const string OpenMetrics = "application/openmetrics-text;version=1.0.0";
        var source = new BigSource(families: 40, samplesPerFamily: 20);
        var endpoint = new MetricsEndpoint(source, new ChorusEndpointOptions { IncludeSelfMetrics = false }, NullLogger.Instance);
        byte[] openMetrics = Gunzip((await ScrapeAsync(endpoint, "gzip", OpenMetrics)).Sent.Bytes.ToArray());

        // A text scraper from now on: the OpenMetrics members stay for UnusedGzipScrapes gzipped scrapes, then go.
        for (int scrape = 0; scrape < MetricsEndpoint.UnusedGzipScrapes; scrape++)
        {
            Assert.Equal(source.Expected, Gunzip((await ScrapeAsync(endpoint, "gzip")).Sent.Bytes.ToArray()));
            Assert.Equal(2, endpoint.GzipCachesKept);
        }

        Assert.Equal(source.Expected, Gunzip((await ScrapeAsync(endpoint, "gzip")).Sent.Bytes.ToArray()));
        Assert.Equal(1, endpoint.GzipCachesKept);

        Assert.Equal(openMetrics, Gunzip((await ScrapeAsync(endpoint, "gzip", OpenMetrics)).Sent.Bytes.ToArray()));
        Assert.Equal(2, endpoint.GzipCachesKept);
    }

    private static async Task<(FlushRecordingStream Sent, HttpContext Context)> ScrapeAsync(MetricsEndpoint endpoint, string encoding, string accept = "text/plain;version=0.0.4")
    {
        var sent = new FlushRecordingStream();
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Accept = accept;
        context.Request.Headers.AcceptEncoding = encoding;
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(sent));
        await endpoint.HandleAsync(context);
        return (sent, context);
    }

    private static byte[] Gunzip(byte[] wire)
    {
        using var input = new GZipStream(new MemoryStream(wire), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        input.CopyTo(plain);
        return plain.ToArray();
    }

    /// <summary>Families of distinct, hard-to-compress lines (so a gzipped body is still several flushes long).</summary>
    private sealed class BigSource : IScrapeSource
    {
        public BigSource(int families, int samplesPerFamily)
        {
            var text = new StringBuilder();
            var random = new Random(11);
            for (int f = 0; f < families; f++)
            {
                text.Append(CultureInfo.InvariantCulture, $"# HELP family_{f} A family.\n# TYPE family_{f} gauge\n");
                for (int s = 0; s < samplesPerFamily; s++)
                {
                    text.Append(CultureInfo.InvariantCulture, $"family_{f}{{id=\"{random.NextInt64():x16}{random.NextInt64():x16}\"}} {random.NextDouble().ToString("R", CultureInfo.InvariantCulture)}\n");
                }
            }

            Expected = Encoding.UTF8.GetBytes(text.ToString());
        }

        public byte[] Expected { get; }

        public void Collect(IBufferWriter<byte> output, ExpositionFormat format) => output.Write(Expected);
    }

    /// <summary>
    /// Writes its exposition as a family source does for a big host: every <paramref name="keepEvery"/>th 64 KiB piece (the
    /// second by default) by reference when the output keeps bytes (counting the leases not yet released), the rest copied.
    /// </summary>
    private sealed class KeepingSource(byte[] expected, int keepEvery = 2) : IScrapeSource, IKeptBytesLease
    {
        private const int Piece = 64 * 1024;
        private int _outstanding;

        public byte[] Expected { get; } = expected;

        public int Outstanding => Volatile.Read(ref _outstanding);

        public int KeptWrites { get; private set; }

        public void Collect(IBufferWriter<byte> output, ExpositionFormat format)
        {
            for (int start = 0, piece = 0; start < Expected.Length; start += Piece, piece++)
            {
                ReadOnlyMemory<byte> bytes = Expected.AsMemory(start, Math.Min(Piece, Expected.Length - start));
                if (piece % keepEvery == keepEvery - 1 && output is IKeptBytesOutput { KeepsBytes: true } keeping)
                {
                    Interlocked.Increment(ref _outstanding);
                    KeptWrites++;
                    keeping.WriteKept(bytes, this, version: 0);
                }
                else
                {
                    output.Write(bytes.Span);
                }
            }
        }

        public void Release() => Interlocked.Decrement(ref _outstanding);
    }

    /// <summary>Records what the server's writer sends, and the most bytes sent between two flushes.</summary>
    private sealed class FlushRecordingStream : Stream
    {
        private int _sinceFlush;

        public MemoryStream Bytes { get; } = new();

        public int LargestUnflushed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Bytes.Length;

        public override long Position { get => Bytes.Position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Bytes.Write(buffer);
            _sinceFlush += buffer.Length;
            LargestUnflushed = Math.Max(LargestUnflushed, _sinceFlush);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush() => _sinceFlush = 0;

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flush();
            return Task.CompletedTask;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
