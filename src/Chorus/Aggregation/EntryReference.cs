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
    private readonly int[] _offsets;
    private readonly int[] _keyLengths;
    private readonly int[] _valueOffsets;
    private readonly ValueLayout _layout;

    // The walk reached the file's used length without damage: a file with the same bytes beside the values walks alike.
    private readonly bool _clean;

    private EntryReference(byte[] bytes, WalkedEntries walked, ValueLayout layout, bool clean)
    {
        _bytes = bytes;
        _offsets = walked.Offsets.ToArray();
        _keyLengths = walked.KeyLengths.ToArray();
        _valueOffsets = walked.ValueOffsets.ToArray();
        _layout = layout;
        _clean = clean;
    }

    public ValueLayout Layout => _layout;

    /// <summary>Just past the last entry.</summary>
    public int End => _bytes.Length;

    public ReadOnlySpan<int> Offsets => _offsets;

    public ReadOnlySpan<int> KeyLengths => _keyLengths;

    public ReadOnlySpan<int> ValueOffsets => _valueOffsets;

    /// <summary>
    /// The reference made of <paramref name="walked"/>'s entries in <paramref name="data"/> (a file whose header says
    /// <paramref name="used"/>); null when there are none.
    /// </summary>
    public static EntryReference? Of(ReadOnlySpan<byte> data, WalkedEntries walked, int used) =>
        walked.Layout is { } layout && walked.Count > 0
            ? new EntryReference(data[..walked.End].ToArray(), walked, layout, !walked.Damage.IsDamaged && walked.End == used)
            : null;

    /// <summary>True when <paramref name="walked"/> (entries of <paramref name="data"/>) are these entries, values aside.</summary>
    public bool Matches(ReadOnlySpan<byte> data, WalkedEntries walked) =>
        walked.Layout == _layout && walked.End == _bytes.Length && walked.ValueOffsets.SequenceEqual(_valueOffsets) && SameBesideValues(data);

    /// <summary>
    /// Gives <paramref name="walked"/> these entries without walking <paramref name="data"/> (a file from offset 0 whose
    /// header says <paramref name="used"/>) when its walk would find exactly them: the reference walked cleanly to the
    /// same used length, the file's layout probes alike and every byte but the values is the reference's. (The walk
    /// reads only lengths, keys and padding at offsets those bytes decide.) False, and nothing set, otherwise.
    /// </summary>
    public bool TryTakeAlike(ReadOnlySpan<byte> data, int used, WalkedEntries walked)
    {
        if (!_clean || used != _bytes.Length || data.Length < used
            || DbLayoutDetector.Detect(data, used, DbFormat.HeaderSize, WalkedEntries.ProbeEntries) != _layout || !SameBesideValues(data))
        {
            return false;
        }

        walked.Take(this);
        return true;
    }

    private bool SameBesideValues(ReadOnlySpan<byte> data)
    {
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
