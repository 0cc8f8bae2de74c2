namespace Chorus.Aggregation;

/// <summary>
/// A <see cref="FrozenSlotPart"/> for a sum. Floating-point addition is not associative, so values are kept one by one, in
/// file order, except a leading run whose partial sums are exact in any order: values that are all multiples of 2^e (e
/// the lowest set bit among them) and whose absolute values add up to less than 2^(53+e), such as whole counts.
/// </summary>
/// <remarks>
/// <para>That run is kept as its sum, placed before every file. A live value that falls inside the run (a live file
/// ranked before the first value kept one by one) must keep the run exact; <see cref="Finish"/> says whether it did, and
/// when not the owner folds the family in file order instead.</para>
/// <para>A file frozen or thawed later is added or removed in place, at its rank: a value kept one by one can come and
/// go, and an exact run takes or gives back a value ranked inside it (a subset of an exact run adds up exactly too). A
/// value that would split the run, or the thawed file that ended it, makes the part say so, and the owner builds the
/// family's parts again.</para>
/// </remarks>
internal sealed class FrozenSumPart(bool keepsEverySum) : FrozenSlotPart
{
    // The values folded one by one, in file order (rank, then entry order within a file); none until the first.
    private FileState[] _files = [];
    private double[] _values = [];
    private int _count;

    // The kept values' ranks, read from their files again when file order was renumbered (a listing changed): the fold
    // compares ranks without visiting each file's state.
    private int[] _ranks = [];
    private int _ranksNumbering = -1;

    // The exact leading run holds every frozen value ranked before _runEnd (every frozen value while the run is open),
    // _runLast the highest ranked file in it (unknown once a thawed file took that knowledge away).
    private bool _runClosed = keepsEverySum;
    private int _runCount;
    private double _runSum;
    private ExactSum _runBound = ExactSum.Empty;
    private FileState? _runEnd;
    private FileState? _runLast;
    private bool _runLastKnown = true;
    private int _runEndRank = int.MaxValue;

    // The fold of the run and the values kept one by one up to each of them (made when first read).
    private FrozenPrefixSums? _prefix;
    private ExactSum? _exact;

    // The collection folding this part now: how far its values were folded, whether the slot holds only a prefix of the
    // frozen fold (it was empty when the collection started on it, and no live value came yet), and the live values
    // inside the run.
    private int _generation;
    private int _cursor;
    private bool _atPrefix;
    private ExactSum _liveInRun;

    /// <inheritdoc/>
    public override FoldKind Kind => FoldKind.Sum;

    /// <inheritdoc/>
    public override bool Add(FileState file, double value, double stamp)
    {
        Contributions++;
        Changed();
        if (!_runClosed && (_runEnd is null || file.Rank < _runEnd.Rank))
        {
            ExactSum extended = _runBound.With(value);
            if (extended.IsExact)
            {
                _runBound = extended;
                _runSum += value;
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

        Keep(file, value, FileRanks.FirstRankedFrom(_files, _count, file.Rank + 1L));
        return true;
    }

    /// <inheritdoc/>
    public override bool Remove(FileState file, double value)
    {
        Contributions--;
        Changed();
        if (file == _runEnd)
        {
            // Its entries may be in the run and one by one alike.
            return false;
        }

        if (!_runClosed && (_runEnd is null || file.Rank < _runEnd.Rank))
        {
            RemoveFromRun(file, value);
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
        _files[_count] = null!;
        if (_ranksNumbering >= 0)
        {
            Array.Copy(_ranks, index + 1, _ranks, index, _count - index);
        }

        return true;
    }

    /// <summary>Whether every frozen contribution (the run and the values kept one by one) adds up exactly.</summary>
    public ExactSum Exactness() => _exact ??= _runBound.WithEach(_values.AsSpan(0, _count));

    /// <inheritdoc/>
    public override void Advance(SeriesSlot slot, int rank, double liveValue, int generation, int numbering)
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
    /// The fold from an empty slot of this part and the live values of <paramref name="files"/> (in file order), as the
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

    /// <inheritdoc/>
    public override bool Finish(SeriesSlot slot, int generation, int numbering)
    {
        Start(slot, generation, numbering);
        FoldUpTo(slot, _count);
        return _runCount == 0 || _runBound.Join(_liveInRun).IsExact;
    }

    private void Changed()
    {
        _prefix?.MarkStale();
        _exact = null;
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
                MergeRules.Fold(slot, FoldKind.Sum, _runSum, 0.0);
            }
        }
    }

    /// <summary>Folds the kept values from the cursor up to (not including) <paramref name="end"/>.</summary>
    private void FoldUpTo(SeriesSlot slot, int end)
    {
        if (end == _cursor)
        {
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

    /// <summary>
    /// Takes a value ranked inside the open run out of it. Any subset of an exact run adds up exactly, so taking a value out
    /// of its sum is exact too; the lowest bit kept can only be lower than the rest's, which keeps the bound a safe one.
    /// </summary>
    private void RemoveFromRun(FileState file, double value)
    {
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
    }

    /// <summary>Keeps a value one by one at <paramref name="index"/> (after every kept one ranked no later).</summary>
    private void Keep(FileState file, double value, int index)
    {
        if (_count == _files.Length)
        {
            int length = Math.Max(4, _count * 2);
            Array.Resize(ref _files, length);
            Array.Resize(ref _values, length);
        }

        Array.Copy(_files, index, _files, index + 1, _count - index);
        Array.Copy(_values, index, _values, index + 1, _count - index);
        _files[index] = file;
        _values[index] = value;
        if (_ranksNumbering >= 0 && _ranks.Length > _count)
        {
            // Ranks read under an older numbering are read again anyway; under this one the file's rank is current.
            Array.Copy(_ranks, index, _ranks, index + 1, _count - index);
            _ranks[index] = file.Rank;
        }
        else
        {
            _ranksNumbering = -1;
        }

        _count++;
    }
}
