using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// Everything but the values of one walked file's entries (lengths, keys, padding, offsets): what the other files of
/// its kind are compared with on the thread that read them, while their bytes are still in that core's cache.
/// Processes of one application write the same keys at the same offsets, so most files match, and the thread that
/// resolves keys in file order then shares entry arrays without comparing any key itself. Immutable once made.
/// </summary>
internal sealed class EntryReference
{
    private readonly byte[] _bytes;
    private readonly int[] _valueOffsets;
    private readonly ValueLayout _layout;

    private EntryReference(byte[] bytes, int[] valueOffsets, ValueLayout layout)
    {
        _bytes = bytes;
        _valueOffsets = valueOffsets;
        _layout = layout;
    }

    /// <summary>The reference made of <paramref name="walked"/>'s entries in <paramref name="data"/>; null when there are none.</summary>
    public static EntryReference? Of(ReadOnlySpan<byte> data, WalkedEntries walked) =>
        walked.Layout is { } layout && walked.Count > 0
            ? new EntryReference(data[..walked.End].ToArray(), walked.ValueOffsets.ToArray(), layout)
            : null;

    /// <summary>True when <paramref name="walked"/> (entries of <paramref name="data"/>) are these entries, values aside.</summary>
    public bool Matches(ReadOnlySpan<byte> data, WalkedEntries walked)
    {
        if (walked.Layout != _layout || walked.End != _bytes.Length || !walked.ValueOffsets.SequenceEqual(_valueOffsets))
        {
            return false;
        }

        // Entries are contiguous: from the header (or the end of a value) to the next value lie one entry's length,
        // key and padding.
        int start = DbFormat.HeaderSize;
        foreach (int valueOffset in _valueOffsets)
        {
            if (!data[start..valueOffset].SequenceEqual(_bytes.AsSpan(start..valueOffset)))
            {
                return false;
            }

            start = valueOffset + (int)_layout;
        }

        return true;
    }
}
