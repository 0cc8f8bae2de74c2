using System.Buffers;
using System.IO.Compression;
using Chorus.AspNetCore.Buffers;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Gzips expositions of one format as a sequence of gzip members (RFC 1952 §2.2: a gzip file is a series of members,
/// and Go's <c>gzip.Reader</c>, which Prometheus reads scrapes with, gunzip, curl and Python read them all as one
/// body), keeping each member for the next scrape: a part of the body whose bytes are what they were last time is
/// sent from its kept member, so a scrape compresses only the families that changed and the scrape's own tail.
/// </summary>
/// <remarks>
/// The body is cut by <see cref="GzipMemberCuts"/> (<see cref="GzipBodyCuts"/>). A part is known by its length and its
/// XxHash128 (<see cref="GzipPartKey"/>): this reads the body once, at memory speed, and keeps no uncompressed copy. A
/// family rendering kept by reference that comes back under the same version is not read at all: its pieces are the
/// last body's (<see cref="GzipBodyCuts"/>), so an unchanged family costs a lookup, not a pass over its bytes.
/// Members not used by the last body are let go, so the cache holds one compressed body. The decompressed response is
/// byte for byte the body, whatever the cuts.
/// <para>
/// A part is compressed at <c>level</c> when it first appears. Since a kept member costs nothing on later scrapes, a part
/// of <see cref="PromotedPartBytes"/> or more that comes back unchanged is compressed again at
/// <see cref="CompressionLevel.Optimal"/> on a pool thread, off the scrape (when <c>level</c> is
/// <see cref="CompressionLevel.Fastest"/>): about a third fewer bytes to send for the parts that stay, while a part that
/// changes on every scrape keeps paying only the fast level.
/// </para>
/// <para>
/// With <see cref="CompressionLevel.Fastest"/>, the first <see cref="StoredFreshBytes"/> of new parts per body are not
/// deflated at all but stored (and compressed on a pool thread if they come back unchanged): every deflater is set up
/// afresh (some 300 KiB of window and hash tables) and, after the idle gap between two scrapes, its memory is cold
/// again, so compressing the few KiB that a handful of live writers change cost 0.2–1.7 ms per scrape against about
/// 0.06 ms for the rest of the gzip work (docs/benchmarks.md). Storing them sends a few tens of KiB more instead.
/// </para>
/// <para>
/// The new parts of a body are compressed once all its parts are known, on every core when they come to
/// <see cref="ParallelFreshBytes"/> or more: on a host whose writers all change values between scrapes, every piece of the
/// body is new, and one core compressing 26 MB took longer than the whole collection. Each core takes new parts one at a
/// time, compresses each into a scratch buffer kept from body to body and places the member in a block outside the managed heap taken
/// for the body (<see cref="GzipRunAppender"/>, <see cref="GzipRunBuffers"/>), which the body's new members slice: hundreds of
/// small member arrays, each kept for a scrape or two, filled the oldest generation of the heap between full collections
/// (the serving process's anonymous memory grew by 35–150 MiB on the GitLab-sized host). Cutting the body into parts and
/// hashing them runs on every core too.
/// </para>
/// </remarks>
internal sealed class GzipMemberCache
{
    /// <summary>Parts smaller than this are not compressed again: their members are small either way.</summary>
    public const int PromotedPartBytes = 4 * 1024;

    /// <summary>
    /// Parts shorter than this are stored, not deflated: the scrape's own tail is this small and new on every scrape, and
    /// setting up a deflater costs more than the few hundred bytes it would save.
    /// </summary>
    public const int StoredPartBytes = 1024;

    /// <summary>
    /// How many bytes of new parts a body sends stored rather than compressed, when the level is
    /// <see cref="CompressionLevel.Fastest"/>: enough for what a few live writers change between scrapes, small beside a
    /// body's unchanged members; a host where more changes compresses the rest.
    /// </summary>
    public const int StoredFreshBytes = 64 * 1024;

    /// <summary>New parts coming to this many bytes or more are compressed on every core.</summary>
    public const int ParallelFreshBytes = 256 * 1024;

    private const CompressionLevel PromotedLevel = CompressionLevel.Optimal;

    // A core's scratch room for one member above this is let go after the body.
    private const int MaxKeptScratchBytes = 1024 * 1024;

    private readonly GzipBodyCuts _cuts = new(Random.Shared.NextInt64());
    private readonly Lock _gate = new();
    private readonly List<GzipMember> _members = [];
    private readonly List<(GzipMember Member, ReadOnlyMemory<byte> Part)> _fresh = [];
    // Per core: room for the member it is compressing, which it then places in a run block (GzipRunAppender).
    private readonly ArrayBufferWriter<byte>[] _runScratch = [.. Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount)).Select(_ => new ArrayBufferWriter<byte>())];
    private readonly GzipRunBuffers _runBuffers = new();
    private readonly GzipRunAppender _appender;
    private readonly HashSet<GzipRunBuffer> _bodyRuns = [];
    private readonly GzipRunCarry _carry = new();
    private readonly List<(GzipPartKey Key, byte[] Part)> _toPromote = [];
    private Dictionary<GzipPartKey, GzipMember> _kept = [];
    private Dictionary<GzipPartKey, GzipMember> _used = [];
    private Task _promotion = Task.CompletedTask;

    // Set while the body being compressed is a preparation's (see Compress).
    private bool _preparing;

    // The next of _fresh a run takes: parts are taken one at a time, so a core held by something else for a while
    // leaves the rest of the body to the others instead of a fixed share undone.
    private int _nextToCompress;

    // Parts the last body found again unchanged, to compress again once its response is sent.
    private (GzipPartKey Key, byte[] Part)[]? _promotable;

    private readonly CompressionLevel _level;

    /// <param name="level">The level a part is compressed at when it first appears.</param>
    public GzipMemberCache(CompressionLevel level)
    {
        _level = level;
        _appender = new GzipRunAppender(_runBuffers);
    }

    /// <summary>How many bytes of the last body were new: compressed or stored afresh (the rest came from kept members).</summary>
    public int LastFreshBytes { get; private set; }

    /// <summary>Of <see cref="LastFreshBytes"/>, how many were sent stored, not deflated (see <see cref="StoredFreshBytes"/>).</summary>
    public int LastStoredBytes { get; private set; }

    /// <summary>How many members the last body was sent as.</summary>
    public int LastMemberCount { get; private set; }

    /// <summary>On how many cores the last body was cut and hashed (for tests).</summary>
    internal int LastCutWorkers => _cuts.LastWorkers;

    /// <summary>How many kept parts of the last body were found under their version, not cut nor hashed (for tests).</summary>
    internal int LastPartsKnown => _cuts.LastKnown;

    /// <summary>The scratch room the cores keep between bodies (for tests).</summary>
    internal long ScratchBytes => _runScratch.Sum(scratch => (long)scratch.Capacity);

    /// <summary>How many bytes the run blocks held take (for tests).</summary>
    internal long RunBytes
    {
        get
        {
            lock (_gate)
            {
                return _runBuffers.Bytes;
            }
        }
    }

    /// <summary>On how many cores the last body's new parts were compressed (for tests).</summary>
    internal int LastCompressRuns { get; private set; }

    /// <summary>Gzips <paramref name="body"/>: the members that, sent in order, are its gzip encoding.</summary>
    /// <param name="body">The exposition.</param>
    /// <param name="dataEnd">Where the application's data ends (the self-metrics and <c># EOF</c> follow).</param>
    /// <returns>The members (never changed afterwards: they may be written while the next scrape compresses) and their total length.</returns>
    public GzipBody Compress(ReadOnlyMemory<byte> body, int dataEnd)
    {
        lock (_gate)
        {
            _cuts.Add(body, dataEnd, version: 0);
            return CompressBodyParts();
        }
    }

    /// <summary>
    /// Gzips <paramref name="body"/> part by part, as it is kept (no copy of the whole body). A kept part is a whole family
    /// rendering, which the cuts of the whole body would make a member of its own anyway, so the members are those of the
    /// body in one piece.
    /// </summary>
    /// <param name="body">The exposition, sealed.</param>
    /// <param name="dataEnd">Where the application's data ends (the self-metrics and <c># EOF</c> follow).</param>
    /// <param name="preparation">
    /// True for the body of a scrape prepared ahead (<see cref="ScrapePreparation"/>), which is not sent: it promotes
    /// nothing, and its new members are promoted only once a later scrape's body found them unchanged again.
    /// </param>
    /// <returns>The members (never changed afterwards) and their total length.</returns>
    public GzipBody Compress(SegmentedBody body, int dataEnd, bool preparation = false)
    {
        lock (_gate)
        {
            _preparing = preparation;
            int offset = 0;
            foreach ((ReadOnlyMemory<byte> part, long version) in body.Parts())
            {
                _cuts.Add(part, dataEnd - offset, version);
                offset += part.Length;
            }

            if (offset == 0)
            {
                _cuts.Add(ReadOnlyMemory<byte>.Empty, 0, version: 0);
            }

            return CompressBodyParts();
        }
    }

    /// <summary>
    /// Gzips the parts added to <see cref="_cuts"/>: cuts and hashes them (on every core for a big body), takes each piece's
    /// member from the last body or makes it new, compresses the new ones. Called under <see cref="_gate"/>.
    /// </summary>
    private GzipBody CompressBodyParts()
    {
        try
        {
            _members.Clear();
            var totals = default(Totals);
            _cuts.CutAll(_runScratch.Length, ParallelFreshBytes);
            for (int i = 0; i < _cuts.Count; i++)
            {
                AddPieces(_cuts.PiecesOf(i), ref totals);
            }

            CompressFresh();
            _carry.Carry(_used.Values, _runBuffers);
            return Finish(totals);
        }
        catch
        {
            // A body that failed half way (out of memory, say) leaves members it made and never filled, and parts of its
            // bytes still to compress, which may be reused by then: the next body would send the first and compress the
            // second into its own members.
            _used.Clear();
            _fresh.Clear();
            _toPromote.Clear();
            _members.Clear();

            // The run blocks' flags may already be the failed body's (GzipRunBuffers.Lease), which gave back the blocks the
            // kept members slice: the next body compresses every part afresh.
            _kept.Clear();
            throw;
        }
        finally
        {
            _cuts.Clear();
            _preparing = false;
        }
    }

    /// <summary>
    /// Starts compressing again, on a pool thread, the parts the last body found unchanged (see
    /// <see cref="PromotedPartBytes"/>). A server calls it once the response is sent: beside the response, it took a core
    /// from it on a small machine.
    /// </summary>
    public void PromoteAfterResponse()
    {
        lock (_gate)
        {
            if (_promotable is { } parts && _promotion.IsCompleted)
            {
                _promotable = null;
                _promotion = Task.Run(() => Promote(parts));
            }
        }
    }

    /// <summary>
    /// The response that sent <paramref name="body"/> is done: the arrays its new members slice may be reused once no
    /// later body keeps them. A body never released only keeps its arrays from being reused.
    /// </summary>
    public void Release(GzipBody body)
    {
        if (body.Runs is { } runs)
        {
            lock (_gate)
            {
                GzipRunBuffers.Release(runs);
            }
        }
    }

    /// <summary>Starts the promotions left (<see cref="PromoteAfterResponse"/>); completes when their members have replaced the first ones.</summary>
    public Task PromotionAsync()
    {
        PromoteAfterResponse();
        lock (_gate)
        {
            return _promotion;
        }
    }

    /// <summary>
    /// Adds the members of one part's <paramref name="pieces"/>: kept from the last body, or new (still to be compressed,
    /// <see cref="CompressFresh"/>). Called under <see cref="_gate"/>.
    /// </summary>
    private void AddPieces(List<GzipPiece> pieces, ref Totals totals)
    {
        foreach ((ReadOnlyMemory<byte> piece, GzipPartKey key) in pieces)
        {
            ReadOnlySpan<byte> part = piece.Span;
            if (!_used.TryGetValue(key, out GzipMember? member))
            {
                if (_kept.TryGetValue(key, out member))
                {
                    if (_preparing)
                    {
                        // Not sent: whether the part stays is for the next scrape to find.
                    }
                    else if (member.FromPreparation)
                    {
                        // Unchanged only since the preparation: promoted if the next scrape finds it again.
                        member.FromPreparation = false;
                    }
                    else if (!member.Final && _promotion.IsCompleted)
                    {
                        _toPromote.Add((key, part.ToArray()));
                    }
                }
                else
                {
                    member = NewMember(piece, ref totals);
                }

                _used.Add(key, member);
            }

            _members.Add(member);
        }
    }

    /// <summary>
    /// Compresses the body's new parts, on every core when they are big (<see cref="ParallelFreshBytes"/>), each core taking
    /// the next part not taken (fixed shares of equal bytes left one core compressing alone for up to 20 ms of a 26 MB body
    /// when the other was taken by a live writer for a while). Called under <see cref="_gate"/>.
    /// </summary>
    private void CompressFresh()
    {
        long bytes = 0;
        foreach ((_, ReadOnlyMemory<byte> part) in _fresh)
        {
            bytes += part.Length;
        }

        _nextToCompress = 0;
        _appender.Begin(bytes);
        int runs = bytes >= ParallelFreshBytes ? Math.Min(_runScratch.Length, _fresh.Count) : Math.Min(1, _fresh.Count);
        LastCompressRuns = runs;
        if (runs > 1)
        {
            Parallel.For(0, runs, CompressRun);
        }
        else if (runs == 1)
        {
            CompressRun(0);
        }

        _appender.End();
        _fresh.Clear();
    }

    /// <summary>
    /// Compresses new parts into run <paramref name="run"/>'s scratch buffer one at a time, taking the next one not taken
    /// until none is left, and places each member in a run block (<see cref="GzipRunAppender"/>) as it is made.
    /// </summary>
    private void CompressRun(int run)
    {
        ArrayBufferWriter<byte> scratch = _runScratch[run];
        for (int i = Interlocked.Increment(ref _nextToCompress) - 1; i < _fresh.Count; i = Interlocked.Increment(ref _nextToCompress) - 1)
        {
            (GzipMember member, ReadOnlyMemory<byte> part) = _fresh[i];
            scratch.ResetWrittenCount();
            GzipMembers.Deflate(part.Span, _level, scratch);
            _appender.Place(member, part.Length, scratch.WrittenSpan);
        }

        if (scratch.Capacity > MaxKeptScratchBytes)
        {
            // A huge part (a family with enormous lines) does not leave its member's room behind for every later body.
            _runScratch[run] = new ArrayBufferWriter<byte>();
        }
    }

    /// <summary>Ends a body: keeps the members it used, starts promotions and returns the members. Called under <see cref="_gate"/>.</summary>
    private GzipBody Finish(Totals totals)
    {
        var members = new ReadOnlyMemory<byte>[_members.Count];
        _bodyRuns.Clear();
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = _members[i].Bytes;
            totals.Length += members[i].Length;
            if (_members[i].Run is { } run)
            {
                _bodyRuns.Add(run);
            }
        }

        GzipRunBuffer[] lease = _runBuffers.Lease(_bodyRuns);

        LastFreshBytes = totals.Fresh;
        LastStoredBytes = totals.Stored;
        LastMemberCount = _members.Count;
        (_kept, _used) = (_used, _kept);
        _used.Clear();
        _promotable = _toPromote.Count > 0 ? [.. _toPromote] : null;
        _toPromote.Clear();

        _members.Clear();
        return new GzipBody(members, totals.Length, lease);
    }

    /// <summary>
    /// The member of a part the last body did not have: stored while the body's budget lasts, else to be compressed at the
    /// level once the body's parts are all known (<see cref="CompressFresh"/>).
    /// </summary>
    private GzipMember NewMember(ReadOnlyMemory<byte> part, ref Totals totals)
    {
        totals.Fresh += part.Length;
        if (_level == CompressionLevel.Fastest && part.Length >= StoredPartBytes && totals.Stored + part.Length <= StoredFreshBytes)
        {
            totals.Stored += part.Length;
            return new GzipMember(GzipMembers.Stored(part.Span), final: false) { FromPreparation = _preparing };
        }

        var member = new GzipMember(ReadOnlyMemory<byte>.Empty, final: _level != CompressionLevel.Fastest || part.Length < PromotedPartBytes) { FromPreparation = _preparing };
        _fresh.Add((member, part));
        return member;
    }

    private void Promote((GzipPartKey Key, byte[] Part)[] parts)
    {
        var scratch = new ArrayBufferWriter<byte>();
        foreach ((GzipPartKey key, byte[] part) in parts)
        {
            scratch.ResetWrittenCount();
            GzipMembers.Deflate(part, PromotedLevel, scratch);
            byte[] smaller = scratch.WrittenSpan.ToArray();
            lock (_gate)
            {
                // Only a part the last body still used is worth replacing; the bytes decompress to the same part either way.
                if (_kept.ContainsKey(key))
                {
                    _kept[key] = new GzipMember(smaller, final: true);
                }
            }
        }
    }

    /// <summary>What a body's members add up to so far: their length, how many of its bytes were new, and how many of those were stored.</summary>
    private struct Totals
    {
        public long Length;
        public int Fresh;
        public int Stored;
    }
}
