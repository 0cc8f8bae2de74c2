using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using Chorus.AspNetCore.Buffers;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Gzips expositions of one format as a sequence of gzip members (RFC 1952 §2.2: a gzip file is a series of members,
/// and Go's <c>gzip.Reader</c>, which Prometheus reads scrapes with, gunzip, curl and Python read them all as one
/// body), keeping each member for the next scrape: a part of the body whose bytes are what they were last time is
/// sent from its kept member, so a scrape compresses only the families that changed and the scrape's own tail.
/// </summary>
/// <remarks>
/// The body is cut by <see cref="GzipMemberCuts"/>. A part is known by its length and its XxHash128 under a seed drawn
/// per cache (so nobody can aim at a collision, and an accidental one has odds of 2^-128): this reads the body once,
/// at memory speed, and keeps no uncompressed copy. Members not used by the last body are let go, so the cache holds
/// one compressed body. The decompressed response is byte for byte the body, whatever the cuts.
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
/// </remarks>
internal sealed class GzipMemberCache(CompressionLevel level)
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

    private const CompressionLevel PromotedLevel = CompressionLevel.Optimal;

    private readonly long _seed = Random.Shared.NextInt64();
    private readonly Lock _gate = new();
    private readonly List<byte[]> _members = [];
    private readonly ArrayBufferWriter<byte> _scratch = new();
    private readonly List<(PartKey Key, byte[] Part)> _toPromote = [];
    private Dictionary<PartKey, Member> _kept = [];
    private Dictionary<PartKey, Member> _used = [];
    private Task _promotion = Task.CompletedTask;

    // Parts the last body found again unchanged, to compress again once its response is sent.
    private (PartKey Key, byte[] Part)[]? _promotable;

    /// <summary>How many bytes of the last body were new: compressed or stored afresh (the rest came from kept members).</summary>
    public int LastFreshBytes { get; private set; }

    /// <summary>Of <see cref="LastFreshBytes"/>, how many were sent stored, not deflated (see <see cref="StoredFreshBytes"/>).</summary>
    public int LastStoredBytes { get; private set; }

    /// <summary>How many members the last body was sent as.</summary>
    public int LastMemberCount { get; private set; }

    /// <summary>Gzips <paramref name="body"/>: the members that, sent in order, are its gzip encoding.</summary>
    /// <param name="body">The exposition.</param>
    /// <param name="dataEnd">Where the application's data ends (the self-metrics and <c># EOF</c> follow).</param>
    /// <returns>The members (never changed afterwards: they may be written while the next scrape compresses) and their total length.</returns>
    public GzipBody Compress(ReadOnlySpan<byte> body, int dataEnd)
    {
        lock (_gate)
        {
            _members.Clear();
            var totals = default(Totals);
            CompressPart(body, dataEnd, ref totals);
            return Finish(totals);
        }
    }

    /// <summary>
    /// Gzips <paramref name="body"/> part by part, as it is kept (no copy of the whole body). A kept part is a whole family
    /// rendering, which the cuts of the whole body would make a member of its own anyway, so the members are those of the
    /// body in one piece.
    /// </summary>
    /// <param name="body">The exposition, sealed.</param>
    /// <param name="dataEnd">Where the application's data ends (the self-metrics and <c># EOF</c> follow).</param>
    /// <returns>The members (never changed afterwards) and their total length.</returns>
    public GzipBody Compress(SegmentedBody body, int dataEnd)
    {
        lock (_gate)
        {
            _members.Clear();
            var totals = default(Totals);
            int offset = 0;
            foreach (ReadOnlyMemory<byte> part in body.Parts())
            {
                CompressPart(part.Span, dataEnd - offset, ref totals);
                offset += part.Length;
            }

            if (offset == 0)
            {
                CompressPart([], 0, ref totals);
            }

            return Finish(totals);
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

    /// <summary>Starts the promotions left (<see cref="PromoteAfterResponse"/>); completes when their members have replaced the first ones.</summary>
    public Task PromotionAsync()
    {
        PromoteAfterResponse();
        lock (_gate)
        {
            return _promotion;
        }
    }

    /// <summary>Cuts <paramref name="body"/> (a whole body or one of its parts) and adds its members. Called under <see cref="_gate"/>.</summary>
    private void CompressPart(ReadOnlySpan<byte> body, int dataEnd, ref Totals totals)
    {
        int start = 0;
        int familyEnd = -1;
        do
        {
            // Hashed as soon as it is cut: its bytes are still in the cache the search for the cut brought them to.
            int end = GzipMemberCuts.PartEnd(body, dataEnd, start, ref familyEnd);
            ReadOnlySpan<byte> part = body[start..end];
            var key = new PartKey(XxHash128.HashToUInt128(part, _seed), part.Length);
            if (!_used.TryGetValue(key, out Member? member))
            {
                if (_kept.TryGetValue(key, out member))
                {
                    if (!member.Final && _promotion.IsCompleted)
                    {
                        _toPromote.Add((key, part.ToArray()));
                    }
                }
                else
                {
                    member = NewMember(part, ref totals);
                }

                _used.Add(key, member);
            }

            _members.Add(member.Bytes);
            totals.Length += member.Bytes.Length;
            start = end;
        }
        while (start < body.Length);
    }

    /// <summary>Ends a body: keeps the members it used, starts promotions and returns the members. Called under <see cref="_gate"/>.</summary>
    private GzipBody Finish(Totals totals)
    {
        LastFreshBytes = totals.Fresh;
        LastStoredBytes = totals.Stored;
        LastMemberCount = _members.Count;
        (_kept, _used) = (_used, _kept);
        _used.Clear();
        _promotable = _toPromote.Count > 0 ? [.. _toPromote] : null;
        _toPromote.Clear();

        GzipBody body = new([.. _members], totals.Length);
        _members.Clear();
        return body;
    }

    /// <summary>The member of a part the last body did not have: stored while the body's budget lasts, else compressed at the level.</summary>
    private Member NewMember(ReadOnlySpan<byte> part, ref Totals totals)
    {
        totals.Fresh += part.Length;
        if (level == CompressionLevel.Fastest && part.Length >= StoredPartBytes && totals.Stored + part.Length <= StoredFreshBytes)
        {
            totals.Stored += part.Length;
            return new Member(StoredMember(part), Final: false);
        }

        return new Member(CompressMember(part, level), Final: level != CompressionLevel.Fastest || part.Length < PromotedPartBytes);
    }

    private void Promote((PartKey Key, byte[] Part)[] parts)
    {
        var scratch = new ArrayBufferWriter<byte>();
        foreach ((PartKey key, byte[] part) in parts)
        {
            byte[] smaller = Deflate(part, PromotedLevel, scratch);
            lock (_gate)
            {
                // Only a part the last body still used is worth replacing; the bytes decompress to the same part either way.
                if (_kept.ContainsKey(key))
                {
                    _kept[key] = new Member(smaller, Final: true);
                }
            }
        }
    }

    private static byte[] Deflate(ReadOnlySpan<byte> part, CompressionLevel level, ArrayBufferWriter<byte> scratch)
    {
        if (part.Length < StoredPartBytes)
        {
            return StoredMember(part);
        }

        scratch.ResetWrittenCount();
        using (var zip = new GZipStream(new BufferWriterStream(scratch), level, leaveOpen: false))
        {
            zip.Write(part);
        }

        return scratch.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A member that holds <paramref name="part"/> as it is, in stored deflate blocks of at most 65,535 bytes (RFC 1951
    /// §3.2.4; RFC 1952 header with no flags, no time, unknown OS, then the CRC-32 and length). Also what an empty body is
    /// sent as: GZipStream writes nothing at all for no input, and an empty body is not gzip (Go's gzip.NewReader, which
    /// Prometheus uses, answers io.EOF).
    /// </summary>
    internal static byte[] StoredMember(ReadOnlySpan<byte> part)
    {
        const int Header = 10;
        const int BlockHeader = 5;
        const int MaxBlock = ushort.MaxValue;
        int blocks = Math.Max(1, (part.Length + MaxBlock - 1) / MaxBlock);
        byte[] member = new byte[Header + (blocks * BlockHeader) + part.Length + 8];
        ReadOnlySpan<byte> gzipHeader = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
        gzipHeader.CopyTo(member);
        int at = Header;
        for (int block = 0, start = 0; block < blocks; block++)
        {
            int length = Math.Min(MaxBlock, part.Length - start);
            member[at] = block == blocks - 1 ? (byte)0x01 : (byte)0x00; // BFINAL on the last block only, BTYPE 00: stored
            BinaryPrimitives.WriteUInt16LittleEndian(member.AsSpan(at + 1), (ushort)length);
            BinaryPrimitives.WriteUInt16LittleEndian(member.AsSpan(at + 3), (ushort)~length);
            part.Slice(start, length).CopyTo(member.AsSpan(at + BlockHeader));
            at += BlockHeader + length;
            start += length;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(member.AsSpan(at), Crc32.HashToUInt32(part));
        BinaryPrimitives.WriteUInt32LittleEndian(member.AsSpan(at + 4), (uint)part.Length);
        return member;
    }

    private byte[] CompressMember(ReadOnlySpan<byte> part, CompressionLevel partLevel) => Deflate(part, partLevel, _scratch);

    private readonly record struct PartKey(UInt128 Hash, int Length);

    /// <summary>What a body's members add up to so far: their length, how many of its bytes were new, and how many of those were stored.</summary>
    private struct Totals
    {
        public long Length;
        public int Fresh;
        public int Stored;
    }

    /// <summary>A part's gzip member; final when it is not to be compressed again at <see cref="PromotedLevel"/>.</summary>
    private sealed record Member(byte[] Bytes, bool Final);
}
