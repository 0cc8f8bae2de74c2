using System.Buffers.Binary;

namespace Chorus.Files;

/// <summary>
/// The layout of a change map, <c>X.db.changes</c> beside a <c>.db</c> file a Chorus writer owns (docs/change-map.md):
/// a 64-byte header, then one 64-bit word per <see cref="RegionBytes"/> bytes of the <c>.db</c> file, for every region a
/// <c>.db</c> file of the format's largest size could have. The file is that long from the start and sparse: only the
/// words of regions in use take space, reserved by the writer as its <c>.db</c> file grows.
/// </summary>
/// <remarks>
/// A writer bumps a region's word after changing a value whose offset lies in the region, but only when a reader has
/// marked the word seen (odd): so a word changes at most once per region between two scrapes, and a reader that finds
/// a word as it left it knows none of the region's values changed. prometheus_client globs <c>*.db</c> and never sees
/// the map.
/// </remarks>
internal static class ChangeMapFormat
{
    /// <summary>Appended to the <c>.db</c> file's path.</summary>
    public const string Suffix = ".changes";

    /// <summary>log2 of <see cref="RegionBytes"/>.</summary>
    public const int RegionShift = 10;

    /// <summary>
    /// Bytes of <c>.db</c> file per word: about five GitLab-sized entries. Smaller regions read fewer unchanged entries
    /// after a change but cost the reader 8 bytes of heap per region it remembers (8 MiB for 1 GB of files at 1 KiB).
    /// </summary>
    public const int RegionBytes = 1 << RegionShift;

    /// <summary>Bytes before the first word.</summary>
    public const int HeaderSize = 64;

    /// <summary>Where the owner number lies: a writer draws a new one (never 0) when it takes the file.</summary>
    public const int OwnerOffset = 16;

    /// <summary>How many words the map holds: one per region of the largest <c>.db</c> file.</summary>
    public const long WordCount = (DbFormat.MaxFileSize >> RegionShift) + 1;

    /// <summary>The map's length, fixed: the header and every word (a sparse file).</summary>
    public const long FileLength = HeaderSize + (WordCount * sizeof(long));

    /// <summary>The version this code writes and reads.</summary>
    public const int Version = 1;

    private static ReadOnlySpan<byte> Magic => "CHORUSCM"u8;

    /// <summary>The map of the <c>.db</c> file at <paramref name="dbPath"/>.</summary>
    public static string PathFor(string dbPath) => dbPath + Suffix;

    /// <summary>The region of the value at <paramref name="valueOffset"/> in the <c>.db</c> file.</summary>
    public static int RegionOf(int valueOffset) => valueOffset >> RegionShift;

    /// <summary>How many regions a <c>.db</c> file with <paramref name="used"/> bytes in use has.</summary>
    public static int RegionsFor(int used) => (int)(((long)used + RegionBytes - 1) >> RegionShift);

    /// <summary>The bytes of the map that hold the header and the words of <paramref name="regions"/> regions.</summary>
    public static long BytesFor(int regions) => HeaderSize + ((long)regions * sizeof(long));

    /// <summary>Writes a header with no owner yet.</summary>
    public static void WriteHeader(Span<byte> header)
    {
        header[..HeaderSize].Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], RegionShift);
    }

    /// <summary>Whether <paramref name="header"/> is a map this code can use (magic, version and region size).</summary>
    public static bool IsValidHeader(ReadOnlySpan<byte> header) =>
        header.Length >= HeaderSize && header.StartsWith(Magic)
        && BinaryPrimitives.ReadInt32LittleEndian(header[8..]) == Version
        && BinaryPrimitives.ReadInt32LittleEndian(header[12..]) == RegionShift;
}
