using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using Chorus.AspNetCore.Buffers;

namespace Chorus.AspNetCore.Http;

/// <summary>How one gzip member is written (RFC 1952 §2.2): deflated by <see cref="GZipStream"/>, or stored as it is.</summary>
internal static class GzipMembers
{
    // A stored member (RFC 1951 §3.2.4): gzip header, then blocks of at most 65,535 bytes with a 5-byte header each.
    private const int StoredHeader = 10;
    private const int StoredBlockHeader = 5;
    private const int StoredMaxBlock = ushort.MaxValue;

    /// <summary>Appends the gzip member of <paramref name="part"/> at <paramref name="partLevel"/> to <paramref name="output"/>.</summary>
    public static void Deflate(ReadOnlySpan<byte> part, CompressionLevel partLevel, ArrayBufferWriter<byte> output)
    {
        if (part.Length < GzipMemberCache.StoredPartBytes)
        {
            // Straight into the output: the scrape's tail is one of these on every scrape.
            int length = StoredMemberLength(part.Length);
            WriteStoredMember(part, output.GetSpan(length));
            output.Advance(length);
            return;
        }

        using var zip = new GZipStream(new BufferWriterStream(output), partLevel, leaveOpen: false);
        zip.Write(part);
    }

    /// <summary>
    /// A member that holds <paramref name="part"/> as it is, in stored deflate blocks of at most 65,535 bytes (RFC 1951
    /// §3.2.4; RFC 1952 header with no flags, no time, unknown OS, then the CRC-32 and length). Also what an empty body is
    /// sent as: GZipStream writes nothing at all for no input, and an empty body is not gzip (Go's gzip.NewReader, which
    /// Prometheus uses, answers io.EOF).
    /// </summary>
    public static byte[] Stored(ReadOnlySpan<byte> part)
    {
        byte[] member = new byte[StoredMemberLength(part.Length)];
        WriteStoredMember(part, member);
        return member;
    }

    private static int StoredBlocks(int partLength) => Math.Max(1, (partLength + StoredMaxBlock - 1) / StoredMaxBlock);

    private static int StoredMemberLength(int partLength) => StoredHeader + (StoredBlocks(partLength) * StoredBlockHeader) + partLength + 8;

    /// <summary>Writes <see cref="Stored"/>'s bytes into the first <see cref="StoredMemberLength"/> bytes of <paramref name="member"/>.</summary>
    private static void WriteStoredMember(ReadOnlySpan<byte> part, Span<byte> member)
    {
        int blocks = StoredBlocks(part.Length);
        ReadOnlySpan<byte> gzipHeader = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
        gzipHeader.CopyTo(member);
        int at = StoredHeader;
        for (int block = 0, start = 0; block < blocks; block++)
        {
            int length = Math.Min(StoredMaxBlock, part.Length - start);
            member[at] = block == blocks - 1 ? (byte)0x01 : (byte)0x00; // BFINAL on the last block only, BTYPE 00: stored
            BinaryPrimitives.WriteUInt16LittleEndian(member[(at + 1)..], (ushort)length);
            BinaryPrimitives.WriteUInt16LittleEndian(member[(at + 3)..], (ushort)~length);
            part.Slice(start, length).CopyTo(member[(at + StoredBlockHeader)..]);
            at += StoredBlockHeader + length;
            start += length;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(member[at..], Crc32.HashToUInt32(part));
        BinaryPrimitives.WriteUInt32LittleEndian(member[(at + 4)..], (uint)part.Length);
    }
}
