using System.Diagnostics;
using Chorus.Aggregation;
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
internal sealed partial class MetricsEndpoint
{
    private const int InitialBufferBytes = 64 * 1024;
    private const int Slots = 2 * 4;

    private readonly IScrapeSource _source;

    // The source when it is a merged directory, told when each response is sent.
    private readonly MultiProcessDirectory? _directory;
    private readonly ChorusEndpointOptions _options;
    private readonly GarbageCollectionBetweenScrapes? _collections;
    private readonly SelfMetricsSource? _selfMetrics;
    private readonly ProblemLog _problemLog;
    private int _collisionLogged;
    private readonly ILogger _logger;

    // One slot per ExpositionFormat and EscapingScheme: the collection of that format in flight, if any.
    private readonly SharedCollection?[] _inFlight = new SharedCollection?[Slots];

    // Per slot: the gzip members of its last body, created on the slot's first gzipped scrape, and the gzipped scrape
    // that last used them (counted in _gzipScrapes).
    private readonly GzipMemberCache?[] _gzipMembers = new GzipMemberCache?[Slots];
    private readonly int[] _gzipUsedIn = new int[Slots];
    private int _gzipScrapes;
    private readonly Lock _gate = new();

    // Sizing the next buffer from the last response avoids regrowing (and copying) on every warm scrape.
    private int _lastResponseBytes = InitialBufferBytes;

    // Of which copied into the body's own buffer (the rest were kept renderings, sent where they are).
    private int _lastCopiedBytes = InitialBufferBytes;

    // A big host's body-sized array, kept from one scrape to the next instead of in the shared pool.
    private readonly ResponseBuffers _bodyArrays = new();

    private static ReadOnlySpan<byte> OpenMetricsEof => "# EOF\n"u8;

    /// <summary>
    /// How many gzipped scrapes a slot's members may go unused before they are let go: a client that asked once for
    /// another format (a curl beside Prometheus) does not leave a second compressed copy of the body (6 MB on a
    /// GitLab-sized host, with the arrays that hold it) for the life of the server. As the reader's renderings
    /// (<c>RenderedFamily.Written</c>).
    /// </summary>
    internal const int UnusedGzipScrapes = 4;

    /// <summary>How many slots hold gzip members (tests).</summary>
    internal int GzipCachesKept => _gzipMembers.Count(members => members is not null);

    /// <summary>Where the body arrays come from (for tests).</summary>
    internal ResponseBuffers BodyArrays => _bodyArrays;

    public MetricsEndpoint(IScrapeSource source, ChorusEndpointOptions options, ILogger logger)
        : this(source, options, logger, preparationTime: null)
    {
    }

    /// <summary>
    /// As the public constructor, the scrapes' cadence and preparations timed by <paramref name="preparationTime"/>, and the
    /// collections between scrapes, when on, run by <paramref name="collections"/> instead of the process's (tests).
    /// </summary>
    internal MetricsEndpoint(IScrapeSource source, ChorusEndpointOptions options, ILogger logger, TimeProvider? preparationTime, GarbageCollectionBetweenScrapes? collections = null)
    {
        options.Validate();
        _options = options;
        _logger = logger;
        _selfMetrics = options.IncludeSelfMetrics ? new SelfMetricsSource(source) : null;
        _source = _selfMetrics ?? source;
        _directory = source as MultiProcessDirectory;
        _problemLog = new ProblemLog(logger);
        _collections = options.CollectGarbageBetweenScrapes ? collections ?? new GarbageCollectionBetweenScrapes() : null;
        if (_directory is not null)
        {
            // A server's reader is collecting already (it collects when opened): its cold pass is the first collection.
            _collections?.BeforeCollection();
        }

        _preparation = CreatePreparation(preparationTime);
    }

    /// <summary>The collections run between scrapes, when <see cref="ChorusEndpointOptions.CollectGarbageBetweenScrapes"/> is on (tests).</summary>
    internal GarbageCollectionBetweenScrapes? CollectionsBetweenScrapes => _collections;

    public async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        ScrapeProtocol protocol = ScrapeNegotiation.Choose(request.Headers.Accept);
        bool gzip = _options.EnableGzip && ScrapeNegotiation.AcceptsGzip(request.Headers.AcceptEncoding);
        long arrived = Stopwatch.GetTimestamp();
        int kind = KindOf(protocol, gzip);
        await ArrivedAsync(kind).ConfigureAwait(false);
        SharedCollection collection = await CollectSharedAsync(protocol.Format, protocol.Escaping).ConfigureAwait(false);
        GzipMemberCache? gzipMembers = null;
        GzipBody? compressed = null;
        try
        {
            if (collection.Failure is { } failure)
            {
                // Logged once by the scrape that ran the collection; every sharer answers 500.
                await WriteErrorAsync(context, failure is ResponseTooLargeException ? failure.Message : "The scrape failed: " + failure.Message).ConfigureAwait(false);
                return;
            }

            SegmentedBody payload = collection.Body!;
            if (gzip)
            {
                gzipMembers = GzipMembersFor(protocol);
                compressed = gzipMembers.Compress(payload, collection.DataEnd);
                if (compressed.Value.Length > _options.MaxResponseBytes)
                {
                    throw new ResponseTooLargeException(_options.MaxResponseBytes);
                }

                response.Headers.ContentEncoding = "gzip";
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ExpositionContentTypes.For(protocol);
            response.Headers.Vary = "Accept, Accept-Encoding";
            response.Headers.CacheControl = "no-store";
            response.ContentLength = compressed?.Length ?? payload.WrittenCount;
            if (!HttpMethods.IsHead(request.Method))
            {
                await ResponseBodyWriter.WriteAsync(context, payload, compressed).ConfigureAwait(false);
            }
        }
        catch (ResponseTooLargeException tooLarge)
        {
            // Only a compressed body over the limit gets here (the collection is bounded by it as it is written).
            _logger.LogError("Scrape refused: {Reason}", tooLarge.Message);
            await WriteErrorAsync(context, tooLarge.Message).ConfigureAwait(false);
        }
        finally
        {
            AfterResponse(collection, gzipMembers, compressed);
            _preparation?.Answered(kind, Stopwatch.GetElapsedTime(arrived));
        }
    }

    /// <summary>
    /// Tells the preparation a scrape of <paramref name="kind"/> arrived, and waits for one still running: its members are
    /// what this scrape will send, and collecting beside its compression would format every rendering anew.
    /// </summary>
    private async ValueTask ArrivedAsync(int kind)
    {
        _preparation?.Arrived(kind);
        if (_preparation?.InFlight is { IsCompleted: false } preparing)
        {
            await preparing.ConfigureAwait(false);
        }
    }

    /// <summary>Lets go of what the response sent, then starts the work that only spares later scrapes.</summary>
    private void AfterResponse(SharedCollection collection, GzipMemberCache? gzipMembers, GzipBody? compressed)
    {
        collection.Release();
        if (compressed is { } sent)
        {
            gzipMembers!.Release(sent);
        }

        // Started once this response is out, so it does not take a core from it.
        gzipMembers?.PromoteAfterResponse();
        _directory?.ProbeAfterResponse();
        _collections?.AfterResponse();
    }

    private GzipMemberCache GzipMembersFor(ScrapeProtocol protocol)
    {
        int slot = SlotOf(protocol.Format, protocol.Escaping);
        int scrape = Interlocked.Increment(ref _gzipScrapes);
        Volatile.Write(ref _gzipUsedIn[slot], scrape);
        ForgetUnusedGzipMembers(scrape);
        ref GzipMemberCache? members = ref _gzipMembers[slot];
        GzipMemberCache? existing = Volatile.Read(ref members);
        return existing ?? Interlocked.CompareExchange(ref members, new GzipMemberCache(_options.GzipLevel), null) ?? members!;
    }

    /// <summary>Lets go of the gzip members of every slot no gzipped scrape used in the last <see cref="UnusedGzipScrapes"/>.</summary>
    private void ForgetUnusedGzipMembers(int scrape)
    {
        for (int slot = 0; slot < Slots; slot++)
        {
            GzipMemberCache? members = Volatile.Read(ref _gzipMembers[slot]);
            if (members is not null && scrape - Volatile.Read(ref _gzipUsedIn[slot]) > UnusedGzipScrapes)
            {
                // A scrape compressing with them now keeps its own reference; only this one goes, if no scrape took the slot since.
                Interlocked.CompareExchange(ref _gzipMembers[slot], null, members);
            }
        }
    }

    private static int SlotOf(ExpositionFormat format, EscapingScheme escaping) => ((int)format * 4) + (int)escaping;

    /// <summary>
    /// Joins the collection of <paramref name="format"/> and <paramref name="escaping"/> in flight, or runs one. Scrapes that
    /// arrive together (several Prometheus replicas, retries) therefore cost one collection, and none waits for a queue of them.
    /// </summary>
    private async ValueTask<SharedCollection> CollectSharedAsync(ExpositionFormat format, EscapingScheme escaping)
    {
        int slot = SlotOf(format, escaping);
        if (!JoinOrStart(slot, out SharedCollection collection))
        {
            await collection.Completion.ConfigureAwait(false);
            return collection;
        }

        SegmentedBody? body = null;
        int dataEnd;
        try
        {
            body = NewBody("a scrape's body");
            _collections?.BeforeCollection();
            if (_selfMetrics is not null)
            {
                int tail = _selfMetrics.CollectWithTailLength(body, format, escaping);
                body.Seal();
                dataEnd = body.WrittenCount - tail;
                LogSelfMetricsFindings();
            }
            else
            {
                _source.Collect(body, format, escaping);
                body.Seal();
                dataEnd = DataEnd(body);
            }

            Volatile.Write(ref _lastResponseBytes, body.WrittenCount);

            // A body that copied every byte because it kept none (a big host's first) says nothing of what the next, which
            // keeps the large renderings where they are, copies: sized from it, every body until the next scrape (a
            // server's preparations in its first minute, then that scrape) took a new array the size of the whole
            // response, 26 MB on the GitLab-sized host, and the runtime's full collections that came with them.
            Volatile.Write(ref _lastCopiedBytes, body.KeepsBytes || !KeepsBytesAfter(body.WrittenCount) ? body.CopiedCount : InitialBufferBytes);
        }
        catch (Exception failure)
        {
            // Unregistered before the log line: a collection left in flight would hold up every later scrape of its format.
            body?.Dispose();
            Finish(slot, collection, failure: failure);
            if (failure is ResponseTooLargeException)
            {
                _logger.LogError("Scrape refused: {Reason}", failure.Message);
            }
            else
            {
                _logger.LogError(failure, "Scrape failed");
            }

            return collection;
        }

        Finish(slot, collection, body, dataEnd);
        return collection;
    }

    /// <summary>Whether a body after a response of <paramref name="responseBytes"/> takes large renderings by reference.</summary>
    private static bool KeepsBytesAfter(int responseBytes) => responseBytes > ResponseBuffers.PooledLimit;

    /// <summary>A body for a collection, sized from the last one.</summary>
    /// <param name="purpose">What it is for: a scrape's or a preparation's (<see cref="SegmentedBody.ToString"/>).</param>
    private SegmentedBody NewBody(string purpose)
    {
        // A body that needed a large array last time is sent from the families' renderings where they are.
        bool keepsBytes = KeepsBytesAfter(Volatile.Read(ref _lastResponseBytes));
        if (keepsBytes)
        {
            // The first scrape's body-sized array would otherwise stay as the spare for good.
            _bodyArrays.DropSpare();
        }

        return new SegmentedBody(Volatile.Read(ref _lastCopiedBytes) + 4096, _options.MaxResponseBytes, _bodyArrays, keepsBytes, purpose);
    }

    /// <summary>Joins the collection in flight for <paramref name="slot"/> (false), or registers a new one this caller runs (true).</summary>
    private bool JoinOrStart(int slot, out SharedCollection collection)
    {
        lock (_gate)
        {
            if (_inFlight[slot] is { } running)
            {
                running.AddReference();
                collection = running;
                return false;
            }

            collection = new SharedCollection();
            _inFlight[slot] = collection;
            return true;
        }
    }

    /// <summary>Where the source's data ends: before its <c># EOF</c>, which the self-metrics move to the very end.</summary>
    private static int DataEnd(SegmentedBody sourceOutput) =>
        sourceOutput.EndsWith(OpenMetricsEof) ? sourceOutput.WrittenCount - OpenMetricsEof.Length : sourceOutput.WrittenCount;

    private void Finish(int slot, SharedCollection collection, SegmentedBody? body = null, int dataEnd = 0, Exception? failure = null)
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
            collection.Complete(body!, dataEnd);
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
