using System.Buffers.Binary;
using System.Text;

namespace Chorus.TestSupport;

/// <summary>One entry of a <c>.db</c> file as the reference reader found it.</summary>
/// <param name="Offset">Where the entry starts (its key length field).</param>
/// <param name="Key">The key text.</param>
/// <param name="Value">The float64 value.</param>
/// <param name="Timestamp">The float64 timestamp (16-byte layout), 0 in the 8-byte layout.</param>
public sealed record ReferenceDbEntry(int Offset, string Key, double Value, double Timestamp);

/// <summary>
/// A reference reader and writer of prometheus_client's <c>.db</c> files, written for tests from
/// docs/file-format.md ("Layout") with nothing of the product's Files code: little-endian int32 <c>used</c> at
/// offset 0 (header of 8 bytes), then entries 8-byte aligned: int32 key length, the key, 1..8 spaces
/// (<c>8 - (keyLength + 4) % 8</c>), a float64 value and, in the 16-byte layout, a float64 timestamp.
/// The reader is strict: anything the document does not allow throws.
/// </summary>
public static class ReferenceDbFile
{
    /// <summary>The header: int32 <c>used</c> and 4 bytes never written.</summary>
    public const int HeaderSize = 8;

    /// <summary>prometheus_client's first size of a file (64 KiB since 0.16); files double from there.</summary>
    public const int InitialSize = 1 << 16;

    /// <summary>The bytes an entry of <paramref name="keyLength"/> takes with values of <paramref name="valueWidth"/> (8 or 16) bytes.</summary>
    public static int EntrySize(int keyLength, int valueWidth) => 4 + keyLength + Padding(keyLength) + valueWidth;

    /// <summary>A complete file: header, the entries in order, zeros up to <paramref name="capacity"/> doubled until everything fits.</summary>
    /// <param name="entries">Key bytes, value and timestamp of each entry (the timestamp is dropped in the 8-byte layout).</param>
    /// <param name="valueWidth">8 (prometheus_client up to 0.17) or 16 (0.18 and newer).</param>
    /// <param name="capacity">The file's size before growth.</param>
    /// <param name="offsets">Receives where each entry starts.</param>
    public static byte[] Write(IEnumerable<(byte[] Key, double Value, double Timestamp)> entries, int valueWidth, int capacity, List<int>? offsets = null)
    {
        CheckWidth(valueWidth);
        var list = entries.ToList();
        int used = HeaderSize + list.Sum(e => EntrySize(e.Key.Length, valueWidth));
        while (capacity < used)
        {
            capacity *= 2;
        }

        byte[] file = new byte[capacity];
        BinaryPrimitives.WriteInt32LittleEndian(file, used);
        int position = HeaderSize;
        foreach ((byte[] key, double value, double timestamp) in list)
        {
            offsets?.Add(position);
            BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(position), key.Length);
            key.CopyTo(file, position + 4);
            int valueAt = position + 4 + key.Length + Padding(key.Length);
            file.AsSpan(position + 4 + key.Length, Padding(key.Length)).Fill((byte)' ');
            BinaryPrimitives.WriteDoubleLittleEndian(file.AsSpan(valueAt), value);
            if (valueWidth == 16)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(file.AsSpan(valueAt + 8), timestamp);
            }

            position = valueAt + valueWidth;
        }

        return file;
    }

    /// <summary>Every entry up to <c>used</c>, read with values of <paramref name="valueWidth"/> bytes; throws <see cref="InvalidDataException"/> on anything malformed.</summary>
    public static List<ReferenceDbEntry> Read(ReadOnlySpan<byte> file, int valueWidth)
    {
        CheckWidth(valueWidth);
        if (file.Length < HeaderSize)
        {
            throw new InvalidDataException($"A file of {file.Length} bytes has no header.");
        }

        int used = BinaryPrimitives.ReadInt32LittleEndian(file);
        if (used < HeaderSize || used > file.Length)
        {
            throw new InvalidDataException($"used = {used} is outside 8..{file.Length}.");
        }

        var entries = new List<ReferenceDbEntry>();
        int position = HeaderSize;
        while (position < used)
        {
            if (position + 4 > used)
            {
                throw new InvalidDataException($"Entry at {position} has no room for its key length before used = {used}.");
            }

            int keyLength = BinaryPrimitives.ReadInt32LittleEndian(file[position..]);
            if (keyLength <= 0 || (long)position + EntrySize(keyLength, valueWidth) > used)
            {
                throw new InvalidDataException($"Entry at {position}: key length {keyLength} does not fit before used = {used}.");
            }

            ReadOnlySpan<byte> key = file.Slice(position + 4, keyLength);
            ReadOnlySpan<byte> padding = file.Slice(position + 4 + keyLength, Padding(keyLength));
            if (key[0] != (byte)'[' || key[^1] != (byte)']' || padding.IndexOfAnyExcept((byte)' ') >= 0)
            {
                throw new InvalidDataException($"Entry at {position}: the key is not a JSON list or the padding is not spaces.");
            }

            int valueAt = position + 4 + keyLength + padding.Length;
            double value = BinaryPrimitives.ReadDoubleLittleEndian(file[valueAt..]);
            double timestamp = valueWidth == 16 ? BinaryPrimitives.ReadDoubleLittleEndian(file[(valueAt + 8)..]) : 0.0;
            entries.Add(new ReferenceDbEntry(position, new UTF8Encoding(false, true).GetString(key), value, timestamp));
            position = valueAt + valueWidth;
        }

        return entries;
    }

    /// <summary>
    /// Reads with the value width that walks cleanly to <c>used</c>: 16 bytes first, then 8, as the format
    /// document's "Layout detection" says. Throws when neither does.
    /// </summary>
    public static (List<ReferenceDbEntry> Entries, int ValueWidth) ReadEitherLayout(ReadOnlySpan<byte> file)
    {
        try
        {
            return (Read(file, 16), 16);
        }
        catch (InvalidDataException wide)
        {
            try
            {
                return (Read(file, 8), 8);
            }
            catch (InvalidDataException narrow)
            {
                throw new InvalidDataException($"Neither layout reads the file: 16-byte: {wide.Message} 8-byte: {narrow.Message}");
            }
        }
    }

    private static int Padding(int keyLength) => 8 - ((keyLength + 4) % 8);

    private static void CheckWidth(int valueWidth)
    {
        if (valueWidth is not (8 or 16))
        {
            throw new ArgumentOutOfRangeException(nameof(valueWidth), valueWidth, "A value is 8 or 16 bytes wide.");
        }
    }
}
