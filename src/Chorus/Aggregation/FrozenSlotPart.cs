namespace Chorus.Aggregation;

/// <summary>
/// What the frozen files contribute to one slot, reduced to the few contributions that decide a fold over them and any
/// live files' values in file order: folding these and the live values merged by file rank gives, bit for bit, what a
/// fold over every file gives, so a scrape with live writers does not visit the frozen files again.
/// </summary>
/// <remarks>
/// <para>Last (all/liveall): the last frozen value. MostRecent: the first frozen value with the greatest timestamp. Min
/// and Max: the first frozen value (a NaN there stays) and the first extreme one among the values that are not NaN.</para>
/// <para>Sum: floating-point addition is not associative, so values are kept one by one, in file order, except a leading
/// run whose partial sums are exact in any order: values that are all multiples of 2^e (e the lowest set bit among them)
/// and whose absolute values add up to less than 2^(53+e), such as whole counts. That run is kept as its sum, placed
/// before every file. A live value that falls inside the run (a live file ranked before the first value kept one by one)
/// must keep the run exact; <see cref="Finish"/> says whether it did, and when not the owner folds the family in file
/// order instead.</para>
/// <para>A file frozen or thawed later is added or removed in place, at its rank (<see cref="Add"/>, <see cref="Remove"/>),
/// whenever the result is still a file-order fold: any contribution that is not kept (a value other than the first or
/// extreme one, an older timestamp) can come and go, a value kept one by one can, and an exact run takes or gives back a
/// value ranked inside it (a subset of an exact run adds up exactly too). Otherwise (the kept last, first, extreme or
/// most recent contribution thawed, a value that would split the run) the part says so and the owner builds the family's
/// parts again.</para>
/// </remarks>
internal sealed class FrozenSlotPart(FoldKind kind, bool keepsEverySum)
{
    // The contributions folded one by one, in file order (rank, then entry order within a file).
    private FileState[] _files = new FileState[2];
    private double[] _values = new double[2];
    private double[] _stamps = new double[2];
    private int _count;

    // The kept contributions' ranks, read from their files again when file order was renumbered (a listing changed):
    // the fold compares ranks without visiting each file's state.
    private int[] _ranks = [];
    private int _ranksNumbering = -1;

    // Sum: the exact leading run holds every frozen value ranked before _runEnd (every frozen value while the run is open),
    // _runLast the highest ranked file in it (unknown once a thawed file took that knowledge away).
    private bool _runClosed = keepsEverySum;
    private int _runCount;
    private double _runSum;
    private ExactSum _runBound = ExactSum.Empty;
    private FileState? _runEnd;
    private FileState? _runLast;
    private bool _runLastKnown = true;
    private int _runEndRank = int.MaxValue;

    // Min/Max: the first frozen contribution, and the first extreme one among those that are not NaN.
    private Contribution _first;
    private Contribution _best;

    // Sum: the fold of the run and the values kept one by one up to each of them (made when first read).
    private FrozenPrefixSums? _prefix;
    private ExactSum? _exact;

    // The collection folding this part now: how far its contributions were folded, whether the slot holds only a prefix
    // of the frozen fold (it was empty when the collection started on it, and no live value came yet), and the live
    // values inside the run.
    private int _generation;
    private int _cursor;
    private bool _atPrefix;
    private ExactSum _liveInRun;

    /// <summary>How the part was reduced (the family's fold kind when it was built).</summary>
    public FoldKind Kind { get; } = kind;

    /// <summary>How many frozen entries meet in this slot (kept or not); at 0 the slot has no frozen contribution.</summary>
    public int Contributions { get; private set; }

    /// <summary>
    /// Adds a frozen contribution at its file's rank (in file order while a part is built, anywhere later). False when the
    /// part cannot take it and stay a file-order fold (the owner must build the family's parts again).
    /// </summary>
    public bool Add(FileState file, double value, double stamp)
    {
        Contributions++;
        _prefix?.MarkStale();
        _exact = null;
        var contribution = new Contribution(file, value, stamp);
        switch (Kind)
        {
            case FoldKind.Last:
                // Entries of one file come in entry order, so the later one of the same file replaces the earlier.
                if (_first.File is null || file.Rank >= _first.File.Rank)
                {
                    _first = contribution;
                    KeepOnly(_first, default);
                }

                return true;
            case FoldKind.MostRecent:
                // As the fold: strictly newer than the best so far, which starts at 0; of equal ones the first in file order.
                double best = _first.File is null ? 0.0 : _first.Stamp;
                if (best < stamp || (_first.File is not null && best == stamp && file.Rank < _first.File.Rank))
                {
                    _first = contribution;
                    KeepOnly(_first, default);
                }

                return true;
            case FoldKind.Min or FoldKind.Max:
                AddExtreme(contribution);
                return true;
            default:
                return AddSum(contribution);
        }
    }

    /// <summary>
    /// Removes a thawed file's contribution (its entries in entry order, with the values they were added with). False when
    /// the part cannot give it back and stay a file-order fold (the owner must build the family's parts again).
    /// </summary>
    public bool Remove(FileState file, double value)
    {
        Contributions--;
        _prefix?.MarkStale();
        _exact = null;
        switch (Kind)
        {
            case FoldKind.Last or FoldKind.MostRecent:
                return _first.File != file;
            case FoldKind.Min or FoldKind.Max:
                return _first.File != file && _best.File != file;
            default:
                return RemoveSum(file, value);
        }
    }

    /// <summary>Sum: whether every frozen contribution (the run and the values kept one by one) adds up exactly.</summary>
    public ExactSum Exactness() => _exact ??= _runBound.WithEach(_values.AsSpan(0, _count));

    /// <summary>
    /// Before a live value from the file ranked <paramref name="rank"/> is folded: folds the frozen contributions ranked
    /// before it. <paramref name="numbering"/> changes whenever file ranks were renumbered.
    /// </summary>
    public void Advance(SeriesSlot slot, int rank, double liveValue, int generation, int numbering)
    {
        Start(slot, generation, numbering);
        int end = _cursor;
        while (end < _count && _ranks[end] < rank)
        {
            end++;
        }

        FoldUpTo(slot, end);
        _atPrefix = false;
        if (_runCount > 0 && rank < _runEndRank)
        {
            _liveInRun = _liveInRun.With(liveValue);
        }
    }

    /// <summary>
    /// Sum: the fold from an empty slot of this part and the live values of <paramref name="files"/> (in file order), as the
    /// full merge folds them; null when a live value breaks the exact run (only a fold of every file is right then).
    /// </summary>
    public double? FoldSum(ReadOnlySpan<FileState> files, ReadOnlySpan<double> live, int numbering)
    {
        if (_ranksNumbering != numbering)
        {
            ReadRanks();
            _ranksNumbering = numbering;
        }

        double sum = (_prefix ??= new()).Fold(_runCount > 0, _runSum, _runEndRank, _values, _ranks, _count, files, live, out ExactSum inRun);
        return _runCount == 0 || _runBound.Join(inRun).IsExact ? sum : null;
    }

    /// <summary>Folds the frozen contributions not folded yet; false when a live value broke the exact run (the result is not a file-order fold).</summary>
    public bool Finish(SeriesSlot slot, int generation, int numbering)
    {
        Start(slot, generation, numbering);
        FoldUpTo(slot, _count);
        return _runCount == 0 || _runBound.Join(_liveInRun).IsExact;
    }

    private void Start(SeriesSlot slot, int generation, int numbering)
    {
        if (_generation != generation)
        {
            _generation = generation;
            _cursor = 0;
            _liveInRun = ExactSum.Empty;
            _atPrefix = slot.Generation != generation;
            slot.Touch(generation);
            if (_ranksNumbering != numbering)
            {
                ReadRanks();
                _ranksNumbering = numbering;
            }

            if (_runCount > 0)
            {
                // The exact run comes before every file.
                MergeRules.Fold(slot, Kind, _runSum, 0.0);
            }
        }
    }

    /// <summary>Folds the kept contributions from the cursor up to (not including) <paramref name="end"/>.</summary>
    private void FoldUpTo(SeriesSlot slot, int end)
    {
        if (end == _cursor)
        {
            return;
        }

        if (Kind != FoldKind.Sum)
        {
            for (; _cursor < end; _cursor++)
            {
                MergeRules.Fold(slot, Kind, _values[_cursor], _stamps[_cursor]);
            }

            return;
        }

        if (_atPrefix)
        {
            // The slot holds the fold of the run alone: the fold of the values before end is known already.
            slot.Value = (_prefix ??= new()).At(end, _runCount > 0, _runSum, _values, _count);
        }
        else
        {
            // The additions in file order, in a register rather than through the slot.
            double sum = slot.Value;
            for (int i = _cursor; i < end; i++)
            {
                sum += _values[i];
            }

            slot.Value = sum;
        }

        slot.HasValue = true;
        _cursor = end;
    }

    private void ReadRanks()
    {
        if (_ranks.Length < _count)
        {
            _ranks = new int[_files.Length];
        }

        for (int i = 0; i < _count; i++)
        {
            _ranks[i] = _files[i].Rank;
        }

        _runEndRank = _runEnd?.Rank ?? int.MaxValue;
    }

    private bool AddSum(Contribution contribution)
    {
        FileState file = contribution.File!;
        if (!_runClosed && (_runEnd is null || file.Rank < _runEnd.Rank))
        {
            ExactSum extended = _runBound.With(contribution.Value);
            if (extended.IsExact)
            {
                _runBound = extended;
                _runSum += contribution.Value;
                _runCount++;
                if (_runLastKnown && (_runLast is null || file.Rank > _runLast.Rank))
                {
                    _runLast = file;
                }

                return true;
            }

            if (_runEnd is not null || !_runLastKnown || (_runLast is not null && file.Rank < _runLast.Rank))
            {
                // The value would split the run: the run's values ranked after it are not kept one by one.
                return false;
            }

            // Every value of the run ranks before this one (or in the same file, before it): it ends the run.
            _runEnd = file;
            _ranksNumbering = -1;
        }

        Insert(contribution);
        return true;
    }

    private bool RemoveSum(FileState file, double value)
    {
        if (file == _runEnd)
        {
            // Its entries may be in the run and one by one alike.
            return false;
        }

        if (!_runClosed && (_runEnd is null || file.Rank < _runEnd.Rank))
        {
            // Any subset of an exact run adds up exactly, so taking a value out of its sum is exact too; the lowest bit
            // kept can only be lower than the rest's, which keeps the bound a safe one.
            _runSum -= value;
            _runBound = _runBound with { Magnitude = _runBound.Magnitude - Math.Abs(value) };
            _runCount--;
            if (_runCount == 0)
            {
                _runSum = 0.0;
                _runBound = ExactSum.Empty;
                _runLast = null;
                _runLastKnown = true;
            }
            else if (file == _runLast)
            {
                _runLast = null;
                _runLastKnown = false;
            }

            return true;
        }

        // Found by rank: a thawed file (a reused PID) is not looked for among thousands of frozen files one by one.
        int index = FileRanks.IndexOf(_files, _count, file);
        if (index < 0)
        {
            return false;
        }

        _count--;
        Array.Copy(_files, index + 1, _files, index, _count - index);
        Array.Copy(_values, index + 1, _values, index, _count - index);
        Array.Copy(_stamps, index + 1, _stamps, index, _count - index);
        _files[_count] = null!;
        if (_ranksNumbering >= 0)
        {
            Array.Copy(_ranks, index + 1, _ranks, index, _count - index);
        }

        return true;
    }

    private void AddExtreme(Contribution contribution)
    {
        FileState file = contribution.File!;
        bool changed = false;
        if (_first.File is null || file.Rank < _first.File.Rank)
        {
            // The first value seeds the fold, a NaN included.
            _first = contribution;
            changed = true;
        }

        double value = contribution.Value;
        if (!double.IsNaN(value))
        {
            bool better = _best.File is null || (Kind == FoldKind.Max ? value > _best.Value : value < _best.Value);
            bool worse = _best.File is not null && (Kind == FoldKind.Max ? value < _best.Value : value > _best.Value);
            if (better || (!worse && file.Rank < _best.File!.Rank))
            {
                // Of equal extremes (0 and -0 included) the first in file order.
                _best = contribution;
                changed = true;
            }
        }

        if (changed)
        {
            // The first ranks no later than the best; folding a contribution twice changes nothing for min and max.
            KeepOnly(_first, _best);
        }
    }

    /// <summary>Keeps one or two contributions (in file order; a default one is none).</summary>
    private void KeepOnly(Contribution first, Contribution second)
    {
        _count = 0;
        Keep(first, _count);
        if (second.File is not null)
        {
            Keep(second, _count);
        }

        _ranksNumbering = -1;
    }

    /// <summary>Inserts a contribution kept one by one after every kept one ranked no later.</summary>
    private void Insert(Contribution contribution) => Keep(contribution, FileRanks.FirstRankedFrom(_files, _count, contribution.File!.Rank + 1L));

    private void Keep(Contribution contribution, int index)
    {
        if (_count == _files.Length)
        {
            Array.Resize(ref _files, _count * 2);
            Array.Resize(ref _values, _count * 2);
            Array.Resize(ref _stamps, _count * 2);
        }

        Array.Copy(_files, index, _files, index + 1, _count - index);
        Array.Copy(_values, index, _values, index + 1, _count - index);
        Array.Copy(_stamps, index, _stamps, index + 1, _count - index);
        _files[index] = contribution.File!;
        _values[index] = contribution.Value;
        _stamps[index] = contribution.Stamp;
        if (_ranksNumbering >= 0 && _ranks.Length > _count)
        {
            // Ranks read under an older numbering are read again anyway; under this one the file's rank is current.
            Array.Copy(_ranks, index, _ranks, index + 1, _count - index);
            _ranks[index] = contribution.File!.Rank;
        }
        else
        {
            _ranksNumbering = -1;
        }

        _count++;
    }

    private readonly record struct Contribution(FileState? File, double Value, double Stamp);
}
