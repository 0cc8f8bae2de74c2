using System.Buffers;
using BenchmarkDotNet.Attributes;
using Chorus.AspNetCore;
using Chorus.AspNetCore.Http;
using Chorus.Exposition;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chorus.Benchmarks;

/// <summary>
/// What the HTTP layer alone costs per scrape (negotiation, pooled body, self-metrics, optional gzip), with a source
/// that copies a fixed exposition of the given size: the rest of a scrape's time and allocations are the reader's.
/// Run: <c>dotnet run -c Release --project bench/Chorus.Benchmarks -- --filter *MetricsEndpointOverhead*</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class MetricsEndpointOverheadBenchmarks
{
    private MetricsEndpoint? _endpoint;

    /// <summary>Exposition size in bytes (Python's output at 1,000 and 10,000 files is about 100 KB and 750 KB).</summary>
    [Params(100_000, 750_000)]
    public int Bytes { get; set; }

    /// <summary>Whether the scraper accepts gzip.</summary>
    [Params(false, true)]
    public bool Gzip { get; set; }

    /// <summary>Builds the endpoint and sizes its buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _endpoint = new MetricsEndpoint(new CopySource(Bytes), new ChorusEndpointOptions { Directory = null }, NullLogger.Instance);
        Scrape().GetAwaiter().GetResult();
    }

    /// <summary>One scrape through the endpoint.</summary>
    [Benchmark]
    public Task Scrape()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Accept = "text/plain;version=0.0.4";
        if (Gzip)
        {
            context.Request.Headers.AcceptEncoding = "gzip";
        }

        context.Response.Body = Stream.Null;
        return _endpoint!.HandleAsync(context);
    }

    private sealed class CopySource(int bytes) : IScrapeSource
    {
        private readonly byte[] _exposition = CreateExposition(bytes);

        public void Collect(IBufferWriter<byte> output, ExpositionFormat format) => output.Write(_exposition);

        private static byte[] CreateExposition(int bytes)
        {
            var text = new System.Text.StringBuilder("# TYPE bench_value gauge\n");
            for (int i = 0; text.Length < bytes; i++)
            {
                text.Append("bench_value{handler=\"/api/items\",series=\"").Append(i).Append("\"} ").Append(i * 0.5).Append('\n');
            }

            return System.Text.Encoding.UTF8.GetBytes(text.ToString());
        }
    }
}
