using System.Buffers.Binary;
using Chorus.Internal;

namespace Chorus.Files;

/// <summary>
/// A counter the compactor raises after it writes or rewrites the journal and after it removes it. A reader
/// that sees the same generation before and after a directory pass knows the journal it read was in force
/// for the whole pass (a sequence lock; see docs/compaction.md).
/// </summary>
internal static class CompactionGeneration
{
    /// <summary>The generation's file name inside the metrics directory.</summary>
    public const string FileName = "chorus-compact.generation";

    /// <summary>The current generation; 0 when no compaction ever ran.</summary>
    public static long Read(string directory) => ReadFile(Path.Combine(directory, FileName));

    /// <summary>The generation stored at <paramref name="path"/>; 0 when the file does not exist.</summary>
    public static long ReadFile(string path)
    {
        // Checked first so the common case (never compacted) costs a stat, not an exception, per scrape.
        if (!File.Exists(path))
        {
            return 0;
        }

        Span<byte> buffer = stackalloc byte[8];
        try
        {
            byte[] bytes = RegularFile.ReadSmall(path, 8);
            return bytes.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>Raises the generation by one. Only the compactor holding the directory lock calls this.</summary>
    public static long Bump(string directory)
    {
        long next = Read(directory) + 1;
        string path = Path.Combine(directory, FileName);
        string temp = path + ".tmp";
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, next);

        // Replaced by rename so a reader never sees a half-written number; durability is not needed because the
        // generation only orders live readers against a live compactor.
        RegularFile.WriteNew(temp, bytes);
        File.Move(temp, path, overwrite: true);
        return next;
    }
}
