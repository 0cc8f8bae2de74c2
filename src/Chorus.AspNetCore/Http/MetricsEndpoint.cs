using System.IO.Compression;
using Chorus.AspNetCore.Buffers;
using Chorus.AspNetCore.SelfMetrics;
using Chorus.Exposition;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Answers one scrape: negotiates the format, collects into a pooled buffer (or shares the collection already in
/// flight), the self-metrics following the source's data (<see cref="SelfMetricsSource"/>), compresses when allowed and writes the body with its exact
/// <c>Content-Length</c> (no body for <c>HEAD</c>).
/// </summary>
internal sealed class MetricsEndpoint
{
    private const int InitialBufferBytes = 64 * 1024;

    private readonly IScrapeSource _source;
    private readonly ChorusEndpointOptions _options;
    private readonly SelfMetricsSource? _selfMetrics;
    private readonly ProblemLog _problemLog;
    private int _collisionLogged;
    private readonly ILogger _logger;

    // One slot per ExpositionFormat and EscapingScheme: the collection of that format in flight, if any.
    private readonly SharedCollection?[] _inFlight = new SharedCollection?[2 * 4];
    private readonly Lock _gate = new();

    // Sizing the next buffer from the last response avoids regrowing (and copying) on every warm scrape.
    private int _lastResponseBytes = InitialBufferBytes;

    public MetricsEndpoint(IScrapeSource source, ChorusEndpointOptions options, ILogger logger)
    {
        options.Validate();
        _options = options;
        _logger = logger;
        _selfMetrics = options.IncludeSelfMetrics ? new SelfMetricsSource(source) : null;
        _source = _selfMetrics ?? source;
        _problemLog = new ProblemLog(logger);
    }

    public async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        ScrapeProtocol protocol = ScrapeNegotiation.Choose(request.Headers.Accept);
        bool gzip = _options.EnableGzip && ScrapeNegotiation.AcceptsGzip(request.Headers.AcceptEncoding);

        SharedCollection collection = await CollectSharedAsync(protocol.Format, protocol.Escaping).ConfigureAwait(false);
        PooledBufferWriter? compressed = null;
        try
        {
            if (collection.Failure is { } failure)
            {
                // Logged once by the scrape that ran the collection; every sharer answers 500.
                await WriteErrorAsync(context, failure is ResponseTooLargeException ? failure.Message : "The scrape failed: " + failure.Message).ConfigureAwait(false);
                return;
            }

            ReadOnlyMemory<byte> payload = collection.Body!.WrittenMemory;
            if (gzip)
            {
                compressed = new PooledBufferWriter(payload.Length / 4, _options.MaxResponseBytes);
                using (var zip = new GZipStream(new BufferWriterStream(compressed), _options.GzipLevel, leaveOpen: false))
                {
                    zip.Write(payload.Span);
                }

                payload = compressed.WrittenMemory;
                response.Headers.ContentEncoding = "gzip";
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ExpositionContentTypes.For(protocol);
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
            // Only the compressed copy can get here (it is bounded by the same limit).
            _logger.LogError("Scrape refused: {Reason}", tooLarge.Message);
            await WriteErrorAsync(context, tooLarge.Message).ConfigureAwait(false);
        }
        finally
        {
            compressed?.Dispose();
            collection.Release();
        }
    }

    /// <summary>
    /// Joins the collection of <paramref name="format"/> and <paramref name="escaping"/> in flight, or runs one. Scrapes that
    /// arrive together (several Prometheus replicas, retries) therefore cost one collection, and none waits for a queue of them.
    /// </summary>
    private async ValueTask<SharedCollection> CollectSharedAsync(ExpositionFormat format, EscapingScheme escaping)
    {
        int slot = ((int)format * 4) + (int)escaping;
        SharedCollection collection;
        bool owner;
        lock (_gate)
        {
            SharedCollection? running = _inFlight[slot];
            owner = running is null;
            if (running is not null)
            {
                running.AddReference();
                collection = running;
            }
            else
            {
                collection = new SharedCollection();
                _inFlight[slot] = collection;
            }
        }

        if (!owner)
        {
            await collection.Completion.ConfigureAwait(false);
            return collection;
        }

        PooledBufferWriter body = new(Volatile.Read(ref _lastResponseBytes) + 4096, _options.MaxResponseBytes);
        try
        {
            _source.Collect(body, format, escaping);
            LogSelfMetricsFindings();
            Volatile.Write(ref _lastResponseBytes, body.WrittenCount);
        }
        catch (Exception failure)
        {
            if (failure is ResponseTooLargeException)
            {
                _logger.LogError("Scrape refused: {Reason}", failure.Message);
            }
            else
            {
                _logger.LogError(failure, "Scrape failed");
            }

            body.Dispose();
            Finish(slot, collection, failure: failure);
            return collection;
        }

        Finish(slot, collection, body);
        return collection;
    }

    private void Finish(int slot, SharedCollection collection, PooledBufferWriter? body = null, Exception? failure = null)
    {
        // Unregister first: a scrape arriving from now on must see data collected after it arrived.
        lock (_gate)
        {
            _inFlight[slot] = null;
        }

        if (failure is not null)
        {
            collection.Fail(failure);
        }
        else
        {
            collection.Complete(body!);
        }
    }

    /// <summary>Logs each problem file once and, once, that a self-metric was left out for the application's family.</summary>
    private void LogSelfMetricsFindings()
    {
        if (_selfMetrics is null)
        {
            return;
        }

        if (_selfMetrics.LastReport is { } report)
        {
            _problemLog.Observe(report);
        }

        if (_selfMetrics.FamiliesLeftOut is [string family, ..] && Interlocked.Exchange(ref _collisionLogged, 1) == 0)
        {
            _logger.LogWarning(
                "The served data already has a {Family} family; Chorus leaves its own self-metric of that name out (and any other that collides).",
                family);
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
        response.ContentType = ExpositionContentTypes.PlainText;
        response.ContentLength = null;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.WriteAsync(message + "\n", context.RequestAborted).ConfigureAwait(false);
        }
    }
}
