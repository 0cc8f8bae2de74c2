using System.Buffers.Binary;

namespace Chorus.Files;

/// <summary>
/// Constants and arithmetic of prometheus_client's <c>.db</c> file layout (see docs/file-format.md):
/// an 8-byte header whose first int32 is <c>used</c>, then entries of
/// <c>int32 keyLength | key | 1..8 spaces | value [| timestamp]</c>, each 8-byte aligned.
/// </summary>
/// <remarks>
/// Python packs with native byte order; every platform .NET runs this project on is little-endian,
/// so the format is read and written as little-endian explicitly.
/// </remarks>
internal static class DbFormat
{
    /// <summary>Size of the file header: int32 <c>used</c> plus 4 bytes of padding.</summary>
    public const int HeaderSize = 8;

    /// <summary>The size prometheus_client (0.16 and newer) gives a new file; files grow by doubling.</summary>
    public const int InitialCapacity = 1 << 16;

    /// <summary>Largest file the format can describe: <c>used</c> is a signed int32.</summary>
    public const long MaxFileSize = int.MaxValue;

    /// <summary>The padding byte between a key and its value (ASCII space).</summary>
    public const byte PaddingByte = (byte)' ';

    /// <summary>Bytes of key plus padding: the padding is always 1..8 bytes, never 0.</summary>
    public static int PaddedKeyLength(int keyLength) => keyLength + (8 - ((keyLength + 4) % 8));

    /// <summary>Total size of one entry with a key of <paramref name="keyLength"/> bytes.</summary>
    public static int EntrySize(int keyLength, ValueLayout layout) => 4 + PaddedKeyLength(keyLength) + (int)layout;

    /// <summary>Offset of the value field relative to the start of the entry.</summary>
    public static int ValueOffset(int keyLength) => 4 + PaddedKeyLength(keyLength);

    /// <summary>Reads the <c>used</c> field of a file header.</summary>
    public static int ReadUsed(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadInt32LittleEndian(header);

    /// <summary>Writes the <c>used</c> field of a file header.</summary>
    public static void WriteUsed(Span<byte> header, int used) => BinaryPrimitives.WriteInt32LittleEndian(header, used);

    /// <summary>
    /// Writes one complete entry (length, key, padding, zero value and timestamp) at the start of
    /// <paramref name="destination"/> and returns its size. Callers publish it afterwards by raising <c>used</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The destination is smaller than the entry.</exception>
    public static int WriteEntry(Span<byte> destination, ReadOnlySpan<byte> key, ValueLayout layout, double value = 0.0, double timestamp = 0.0)
    {
        int size = EntrySize(key.Length, layout);
        if (destination.Length < size)
        {
            throw new ArgumentException($"An entry of {size} bytes does not fit in {destination.Length} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteInt32LittleEndian(destination, key.Length);
        key.CopyTo(destination[4..]);
        int valueOffset = ValueOffset(key.Length);
        destination[(4 + key.Length)..valueOffset].Fill(PaddingByte);
        BinaryPrimitives.WriteDoubleLittleEndian(destination[valueOffset..], value);
        if (layout == ValueLayout.ValueAndTimestamp16)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(valueOffset + 8)..], timestamp);
        }

        return size;
    }
}
