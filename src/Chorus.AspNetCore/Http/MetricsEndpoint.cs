using System.Diagnostics;
using System.IO.Compression;
using Chorus.AspNetCore.Buffers;
using Chorus.AspNetCore.SelfMetrics;
using Chorus.Exposition;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Answers one scrape: negotiates the format, collects into a pooled buffer, appends the self-metrics, compresses
/// when allowed and writes the body with its exact <c>Content-Length</c> (none for <c>HEAD</c>).
/// </summary>
internal sealed class MetricsEndpoint
{
    private const int InitialBufferBytes = 64 * 1024;

    private readonly IScrapeSource _source;
    private readonly ChorusEndpointOptions _options;
    private readonly SelfMetricsWriter? _selfMetrics;
    private readonly ILogger _logger;

    // Sizing the next buffer from the last response avoids regrowing (and copying) on every warm scrape.
    private int _lastResponseBytes = InitialBufferBytes;

    public MetricsEndpoint(IScrapeSource source, ChorusEndpointOptions options, ILogger logger)
    {
        options.Validate();
        _source = source;
        _options = options;
        _logger = logger;
        _selfMetrics = options.IncludeSelfMetrics ? new SelfMetricsWriter(source, logger) : null;
    }

    public async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        ExpositionFormat format = ScrapeNegotiation.ChooseFormat(request.Headers.Accept);
        bool gzip = _options.EnableGzip && ScrapeNegotiation.AcceptsGzip(request.Headers.AcceptEncoding);

        using var body = new PooledBufferWriter(Volatile.Read(ref _lastResponseBytes) + 4096, _options.MaxResponseBytes);
        PooledBufferWriter? compressed = null;
        try
        {
            long started = Stopwatch.GetTimestamp();
            _source.Collect(body, format);
            _selfMetrics?.Append(body, format, Stopwatch.GetElapsedTime(started));
            Volatile.Write(ref _lastResponseBytes, body.WrittenCount);

            ReadOnlyMemory<byte> payload = body.WrittenMemory;
            if (gzip)
            {
                compressed = new PooledBufferWriter(body.WrittenCount / 4, _options.MaxResponseBytes);
                using (var zip = new GZipStream(new BufferWriterStream(compressed), _options.GzipLevel, leaveOpen: false))
                {
                    zip.Write(payload.Span);
                }

                payload = compressed.WrittenMemory;
                response.Headers.ContentEncoding = "gzip";
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ExpositionContentTypes.For(format);
            response.Headers.Vary = "Accept, Accept-Encoding";
            response.Headers.CacheControl = "no-store";
            response.ContentLength = payload.Length;
            if (!HttpMethods.IsHead(request.Method))
            {
                await response.Body.WriteAsync(payload, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (ResponseTooLargeException tooLarge)
        {
            _logger.LogError("Scrape refused: {Reason}", tooLarge.Message);
            await WriteErrorAsync(context, tooLarge.Message).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            _logger.LogError(failure, "Scrape failed");
            await WriteErrorAsync(context, "The scrape failed: " + failure.Message).ConfigureAwait(false);
        }
        finally
        {
            compressed?.Dispose();
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, string message)
    {
        HttpResponse response = context.Response;
        if (response.HasStarted)
        {
            context.Abort();
            return;
        }

        response.Headers.Remove(HeaderNames.ContentEncoding);
        response.StatusCode = StatusCodes.Status500InternalServerError;
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = null;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.WriteAsync(message + "\n", context.RequestAborted).ConfigureAwait(false);
        }
    }
}
