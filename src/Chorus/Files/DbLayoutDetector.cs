using System.Buffers.Binary;

namespace Chorus.Files;

/// <summary>
/// Decides per file whether entries carry 8 or 16 value bytes. Walking a file with the wrong width lands
/// inside a value or a key, which fails the entry checks at once, so the width that walks cleanly to
/// <c>used</c> is the file's layout.
/// </summary>
internal static class DbLayoutDetector
{
    /// <summary>
    /// Detects the layout of the entries between <paramref name="start"/> and <paramref name="used"/>.
    /// Returns null when there are no entries to tell by.
    /// </summary>
    /// <param name="data">The file bytes from offset 0.</param>
    /// <param name="used">The header's <c>used</c>.</param>
    /// <param name="start">First entry offset.</param>
    /// <param name="probeEntries">
    /// How many entries a clean walk needs to decide (default: all, up to <paramref name="used"/>). A reader
    /// that checks every entry afterwards can probe a few: a wrong width fails within the first entries.
    /// </param>
    public static ValueLayout? Detect(ReadOnlySpan<byte> data, int used, int start = DbFormat.HeaderSize, int probeEntries = int.MaxValue)
    {
        int limit = Math.Min(used, data.Length);
        if (limit - start < 4)
        {
            return null;
        }

        (bool clean16, int count16, bool landed16) = Walk(data, ValueLayout.ValueAndTimestamp16, used, start, probeEntries);
        if (clean16)
        {
            return ValueLayout.ValueAndTimestamp16;
        }

        (bool clean8, int count8, bool landed8) = Walk(data, ValueLayout.Value8, used, start, probeEntries);
        if (clean8)
        {
            return ValueLayout.Value8;
        }

        // Damaged either way: the layout that explains more entries before the damage is the better guess.
        if (count16 == 0 && count8 == 0)
        {
            return null;
        }

        if (count8 != count16)
        {
            return count8 > count16 ? ValueLayout.Value8 : ValueLayout.ValueAndTimestamp16;
        }

        // As many entries either way (damage in the second entry): the right width stops at the start of an entry,
        // the wrong one 8 bytes off, inside a key, where no entry can start.
        return landed8 && !landed16 ? ValueLayout.Value8 : ValueLayout.ValueAndTimestamp16;
    }

    /// <summary>Whether an entry could start at <paramref name="position"/>: a key length that fits before <c>used</c>, then <c>[</c>.</summary>
    private static bool LooksLikeEntryStart(ReadOnlySpan<byte> data, int position, int used)
    {
        if (data.Length - position < 5)
        {
            return false;
        }

        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
        return keyLength > 0 && keyLength <= used - position - 4 && data[position + 4] == (byte)'[';
    }

    private static (bool Clean, int Count, bool Landed) Walk(ReadOnlySpan<byte> data, ValueLayout layout, int used, int start, int probeEntries)
    {
        var reader = new DbEntryReader(data, layout, used, start);
        int count = 0;
        while (reader.TryReadNext(out _))
        {
            count++;
            if (count >= probeEntries)
            {
                return (true, count, true);
            }
        }

        bool reachedUsed = reader.Position == Math.Min(used, data.Length) && used <= data.Length;
        return (!reader.Damage.IsDamaged && reachedUsed && count > 0, count, LooksLikeEntryStart(data, reader.Position, used));
    }
}
