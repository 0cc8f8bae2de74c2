namespace Chorus.Aggregation;

/// <summary>
/// What the last full merge of a family folded into one slot from live files, kept for a merge per changed slot
/// (<see cref="ChangedSlots"/>): whether the values add up exactly in any order (<see cref="Exact"/>, so a changed value
/// can be swapped in as <c>new - old</c>), and, once a slot needed it, every contribution in file order
/// (<see cref="Listed"/>), so the slot can be folded again without visiting any other entry.
/// </summary>
/// <remarks>
/// Made only for the slots of families that took the per-slot path (a host's counters and histograms; the
/// single-contribution <c>all</c> gauges need none), and the lists only for slots that are not exact sums (a histogram's
/// <c>_sum</c>, a livesum gauge, a min or max over several files).
/// </remarks>
internal sealed class SlotContributions
{
    // The listed contributions in file order, with a copy of each one's value (and timestamp, once one is not 0): folding
    // again reads one array instead of a value in every file's.
    private FileState[] _files = [];
    private int[] _entries = [];
    private double[] _values = [];
    private double[]? _stamps;
    private int _count;

    /// <summary>Whether the live values folded add up exactly in any order, and by how much (kept up to date by the per-slot path).</summary>
    public ExactSum Exact { get; set; } = ExactSum.Empty;

    /// <summary>Set when the contributions are listed by the next full merge (and, once it ran, were).</summary>
    public bool Listed { get; set; }

    /// <summary>The collection that last queued the slot to be folded again from its list (once, after every changed value is taken).</summary>
    public int RefoldedIn { get; set; }

    /// <summary>
    /// Forgets the contributions: the full merge folds the slot from the start. A slot whose values did not add up exactly
    /// in that merge is listed by this one, so a family's inexact sums need one full merge more, not one per slot.
    /// </summary>
    public void Restart()
    {
        Listed |= !Exact.IsExact;
        Exact = ExactSum.Empty;
        if (_count > 0)
        {
            Array.Clear(_files, 0, _count);
            _count = 0;
        }
    }

    /// <summary>Notes one more live value folded, entry <paramref name="entry"/> of <paramref name="file"/> (in file order).</summary>
    public void Record(FileState file, int entry, double value)
    {
        Exact = Exact.With(value);
        if (!Listed)
        {
            return;
        }

        if (_count == _files.Length)
        {
            int size = Math.Max(4, _count * 2);
            Array.Resize(ref _files, size);
            Array.Resize(ref _entries, size);
            Array.Resize(ref _values, size);
            if (_stamps is not null)
            {
                Array.Resize(ref _stamps, size);
            }
        }

        _files[_count] = file;
        _entries[_count] = entry;
        _values[_count] = value;
        SetStamp(_count, file.KeepsTimestamps ? file.Timestamps[entry] : 0.0);
        _count++;
    }

    /// <summary>Takes the new value (and timestamp) of a listed contribution; false when it is not listed.</summary>
    public bool Take(FileState file, int entry, double value)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_entries[i] == entry && _files[i] == file)
            {
                _values[i] = value;
                SetStamp(i, file.KeepsTimestamps ? file.Timestamps[entry] : 0.0);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Folds <paramref name="slot"/> again from its listed contributions' current values (each changed one taken first), in
    /// file order, as the full merge folds it: a sum with its frozen part's values between them (ranks numbered in
    /// <paramref name="numbering"/>), any other kind only without a frozen part. False when only a full merge gives the
    /// result: the slot's sample appeared or went (a mostrecent gauge), or a live value broke the frozen part's exact run.
    /// </summary>
    public bool Refold(SeriesSlot slot, FoldKind kind, int numbering)
    {
        bool had = slot.HasValue;
        slot.Value = 0.0;
        slot.Timestamp = 0.0;
        slot.HasValue = false;
        ExactSum exact = ExactSum.Empty;
        if (kind == FoldKind.Sum)
        {
            // The additions in file order, in a register rather than through the slot.
            double sum = 0.0;
            for (int i = 0; i < _count; i++)
            {
                sum += _values[i];
                exact = exact.With(_values[i]);
            }

            slot.Value = sum;
            slot.HasValue = _count > 0;
            if (slot.Frozen is { Contributions: > 0 } frozen)
            {
                if (frozen is not FrozenSumPart sumPart || sumPart.FoldSum(_files.AsSpan(0, _count), _values.AsSpan(0, _count), numbering) is not double folded)
                {
                    return false;
                }

                slot.Value = folded;
                slot.HasValue = true;
            }
        }
        else
        {
            for (int i = 0; i < _count; i++)
            {
                exact = exact.With(_values[i]);
                MergeRules.Fold(slot, kind, _values[i], _stamps?[i] ?? 0.0);
            }
        }

        Exact = exact;
        return slot.HasValue == had;
    }

    private void SetStamp(int index, double stamp)
    {
        if (stamp != 0.0 || _stamps is not null)
        {
            (_stamps ??= new double[_values.Length])[index] = stamp;
        }
    }
}
