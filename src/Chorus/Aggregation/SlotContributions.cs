namespace Chorus.Aggregation;

/// <summary>
/// What the last full merge of a family folded into one slot from live files, kept for a merge per changed slot
/// (<see cref="ChangedSlots"/>): whether the values add up exactly in any order (<see cref="Exact"/>, so a changed value
/// can be swapped in as <c>new - old</c>), and, once a slot needed it, every contribution in file order
/// (<see cref="Listed"/>: which entry of which file), so the slot can be folded again from those entries' values
/// without visiting any other entry.
/// </summary>
/// <remarks>
/// Made only for the slots of families that took the per-slot path (a host's counters and histograms; the
/// single-contribution <c>all</c> gauges need none), and the lists only for slots that are not exact sums (a histogram's
/// <c>_sum</c>, a livesum gauge, a min or max over several files). A list keeps no copy of the values: a file's values are
/// what its last refresh read until a full merge of its families (a file read afresh, replaced or gone marks them), and
/// those copies were 4.8 MB of the GitLab-sized host's heap. Its files are the family's <see cref="ListedFiles"/> while
/// they are the same, and its entries one number while every file holds the key at the same place (files of one layout).
/// </remarks>
internal sealed class SlotContributions
{
    // The files of the listed contributions, in file order: the first _count of _shared while they are those (most slots),
    // else an array of the slot's own.
    private ListedFiles? _shared;
    private FileState[]? _files;

    // The entry of each listed contribution: _entry for all while they are the same, else an array.
    private int _entry;
    private int[]? _entries;
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
        _shared = null;
        _files = null;
        _entries = null;
        _count = 0;
    }

    /// <summary>
    /// Notes one more live value folded, entry <paramref name="entry"/> of <paramref name="file"/> (in file order), where
    /// <paramref name="listed"/> is the family's merge with <paramref name="file"/> listed last.
    /// </summary>
    public void Record(FileState file, int entry, double value, ListedFiles listed)
    {
        Exact = Exact.With(value);
        if (!Listed)
        {
            return;
        }

        ListFile(file, listed);
        ListEntry(entry);
        _count++;
    }

    /// <summary>Whether entry <paramref name="entry"/> of <paramref name="file"/> is listed (its new value is read when the slot is folded again).</summary>
    public bool Take(FileState file, int entry)
    {
        for (int i = 0; i < _count; i++)
        {
            if (EntryAt(i) == entry && FileAt(i) == file)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Folds <paramref name="slot"/> again from its listed contributions' current values, in file order, as the full merge
    /// folds it: a sum with its frozen part's values between them (ranks numbered in <paramref name="numbering"/>), any other
    /// kind only without a frozen part. False when only a full merge gives the result: the slot's sample appeared or went (a
    /// mostrecent gauge), a live value broke the frozen part's exact run, or a listed file holds fewer entries than it did.
    /// </summary>
    /// <param name="slot">The slot.</param>
    /// <param name="kind">How its values fold.</param>
    /// <param name="numbering">Changes whenever file ranks were numbered again.</param>
    /// <param name="scratch">Room for the values of a sum with a frozen part, kept by the caller from slot to slot.</param>
    public bool Refold(SeriesSlot slot, FoldKind kind, int numbering, ref double[] scratch)
    {
        bool had = slot.HasValue;
        slot.Value = 0.0;
        slot.Timestamp = 0.0;
        slot.HasValue = false;
        ExactSum exact = ExactSum.Empty;
        bool sums = kind == FoldKind.Sum;
        FrozenSlotPart? frozen = slot.Frozen is { Contributions: > 0 } part ? part : null;
        if (frozen is not null && (!sums || frozen is not FrozenSumPart))
        {
            return false;
        }

        // A sum with a frozen part takes the live values as one span (in scratch), between the frozen ones by rank.
        Span<double> live = frozen is null ? default : Room(ref scratch);
        double sum = 0.0;
        for (int i = 0; i < _count; i++)
        {
            FileState file = FileAt(i);
            int entry = EntryAt(i);
            if (entry >= file.Count)
            {
                // The file holds fewer entries than the full merge listed: that merge again (it prunes what is gone).
                return false;
            }

            double value = file.Values[entry];
            exact = exact.With(value);
            if (!sums)
            {
                MergeRules.Fold(slot, kind, value, file.TimestampAt(entry));
            }
            else if (frozen is null)
            {
                // The additions in file order, in a register rather than through the slot.
                sum += value;
            }
            else
            {
                live[i] = value;
            }
        }

        if (sums && !SetSum(slot, sum, frozen as FrozenSumPart, live, numbering))
        {
            return false;
        }

        Exact = exact;
        return slot.HasValue == had;
    }

    /// <summary>Sets a sum slot from the live values' <paramref name="sum"/>, or their fold with its frozen part's; false when only a full merge gives it.</summary>
    private bool SetSum(SeriesSlot slot, double sum, FrozenSumPart? frozen, ReadOnlySpan<double> live, int numbering)
    {
        if (frozen is not null)
        {
            if (frozen.FoldSum(Files, live, numbering) is not double folded)
            {
                return false;
            }

            sum = folded;
        }

        slot.Value = sum;
        slot.HasValue = _count > 0 || frozen is not null;
        return true;
    }

    /// <summary>How many contributions are listed (for tests).</summary>
    internal int Count => _count;

    /// <summary>Whether the listed files are the family's list, not an array of the slot's own (for tests).</summary>
    internal bool SharesFiles => _files is null;

    /// <summary>Whether one entry number stands for every listed contribution (for tests).</summary>
    internal bool HasOneEntry => _entries is null;

    private ReadOnlySpan<FileState> Files => _files is null ? (_shared is null ? [] : _shared.First(_count)) : _files.AsSpan(0, _count);

    private FileState FileAt(int index) => _files is null ? _shared![index] : _files[index];

    private int EntryAt(int index) => _entries is null ? _entry : _entries[index];

    /// <summary>Room for the listed contributions' values, in <paramref name="scratch"/>.</summary>
    private Span<double> Room(ref double[] scratch)
    {
        if (scratch.Length < _count)
        {
            scratch = new double[Math.Max(_count, scratch.Length * 2)];
        }

        return scratch.AsSpan(0, _count);
    }

    private void ListFile(FileState file, ListedFiles listed)
    {
        if (_files is null)
        {
            if (_count == 0)
            {
                _shared = listed;
            }

            if (_shared!.Count > _count && _shared[_count] == file)
            {
                return;
            }

            // Another sequence than the family's: the slot's own, from here on.
            _files = new FileState[Math.Max(4, (_count + 1) * 2)];
            _shared.First(_count).CopyTo(_files);
            _shared = null;
        }
        else if (_count == _files.Length)
        {
            Array.Resize(ref _files, _count * 2);
        }

        _files[_count] = file;
    }

    private void ListEntry(int entry)
    {
        if (_entries is null)
        {
            if (_count == 0 || entry == _entry)
            {
                _entry = entry;
                return;
            }

            _entries = new int[Math.Max(4, (_count + 1) * 2)];
            _entries.AsSpan(0, _count).Fill(_entry);
        }
        else if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _count * 2);
        }

        _entries[_count] = entry;
    }
}
