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
/// </remarks>
internal sealed class FrozenSlotPart(FoldKind kind, bool keepsEverySum)
{
    // The contributions kept, in file order; a null file is the exact leading run's sum, before every file.
    private FileState?[] _files = new FileState?[2];
    private double[] _values = new double[2];
    private double[] _stamps = new double[2];
    private int _count;

    // The kept contributions' ranks, read from their files again when file order was renumbered (a listing changed):
    // the fold compares ranks without visiting each file's state.
    private int[] _ranks = [];
    private int _ranksNumbering = -1;

    private bool _runOpen = !keepsEverySum;
    private bool _hasRun;
    private double _runSum;
    private ExactSum _runBound = ExactSum.Empty;
    private FileState? _runEnd;
    private int _runEndRank = int.MaxValue;

    private bool _seenAny;
    private FileState? _bestFile;
    private double _bestValue;
    private double _bestStamp;
    private bool _bestIsFirst;

    // The collection folding this part now: how far its contributions were folded, and the live values inside the run.
    private int _generation;
    private int _cursor;
    private ExactSum _liveInRun;

    /// <summary>How the part was reduced (the family's fold kind when it was built).</summary>
    public FoldKind Kind { get; } = kind;

    /// <summary>Adds the next frozen contribution, in file order.</summary>
    public void Add(FileState file, double value, double stamp)
    {
        switch (Kind)
        {
            case FoldKind.Last:
                _count = 0;
                Keep(file, value, stamp);
                break;
            case FoldKind.MostRecent:
                // As the fold: strictly newer than the best so far, which starts at 0.
                if ((_count == 0 ? 0.0 : _stamps[0]) < stamp)
                {
                    _count = 0;
                    Keep(file, value, stamp);
                }

                break;
            case FoldKind.Min or FoldKind.Max:
                AddExtreme(file, value, stamp);
                break;
            default:
                AddSum(file, value, stamp);
                break;
        }
    }

    /// <summary>Ends the build (after the last <see cref="Add"/>).</summary>
    public void Complete()
    {
        if (Kind is FoldKind.Min or FoldKind.Max && _bestFile is not null && !_bestIsFirst)
        {
            Keep(_bestFile, _bestValue, _bestStamp);
        }

        if (_hasRun)
        {
            Keep(null, _runSum, 0.0);
            Array.Copy(_files, 0, _files, 1, _count - 1);
            Array.Copy(_values, 0, _values, 1, _count - 1);
            Array.Copy(_stamps, 0, _stamps, 1, _count - 1);
            _files[0] = null;
            _values[0] = _runSum;
            _stamps[0] = 0.0;
        }
    }

    /// <summary>
    /// Before a live value from the file ranked <paramref name="rank"/> is folded: folds the frozen contributions ranked
    /// before it. <paramref name="numbering"/> changes whenever file ranks were renumbered.
    /// </summary>
    public void Advance(SeriesSlot slot, int rank, double liveValue, int generation, int numbering)
    {
        Start(slot, generation, numbering);
        while (_cursor < _count && _ranks[_cursor] < rank)
        {
            MergeRules.Fold(slot, Kind, _values[_cursor], _stamps[_cursor]);
            _cursor++;
        }

        if (_hasRun && rank < _runEndRank)
        {
            _liveInRun = _liveInRun.With(liveValue);
        }
    }

    /// <summary>Folds the frozen contributions not folded yet; false when a live value broke the exact run (the result is not a file-order fold).</summary>
    public bool Finish(SeriesSlot slot, int generation, int numbering)
    {
        Start(slot, generation, numbering);
        for (; _cursor < _count; _cursor++)
        {
            MergeRules.Fold(slot, Kind, _values[_cursor], _stamps[_cursor]);
        }

        return !_hasRun || _runBound.Join(_liveInRun).IsExact;
    }

    private void Start(SeriesSlot slot, int generation, int numbering)
    {
        if (_generation != generation)
        {
            _generation = generation;
            _cursor = 0;
            _liveInRun = ExactSum.Empty;
            slot.Touch(generation);
            if (_ranksNumbering != numbering)
            {
                ReadRanks();
                _ranksNumbering = numbering;
            }
        }
    }

    private void ReadRanks()
    {
        if (_ranks.Length < _count)
        {
            _ranks = new int[_count];
        }

        for (int i = 0; i < _count; i++)
        {
            // The exact run's sum comes before every file.
            _ranks[i] = _files[i] is { } file ? file.Rank : -1;
        }

        _runEndRank = _runEnd?.Rank ?? int.MaxValue;
    }

    private void AddSum(FileState file, double value, double stamp)
    {
        if (_runOpen)
        {
            ExactSum extended = _runBound.With(value);
            if (extended.IsExact)
            {
                _runBound = extended;
                _runSum += value;
                _hasRun = true;
                return;
            }

            _runOpen = false;
            _runEnd = file;
        }

        Keep(file, value, stamp);
    }

    private void AddExtreme(FileState file, double value, double stamp)
    {
        bool first = !_seenAny;
        if (first)
        {
            // The first value seeds the fold, a NaN included.
            _seenAny = true;
            Keep(file, value, stamp);
        }

        bool better = Kind == FoldKind.Max ? value > _bestValue : value < _bestValue;
        if (!double.IsNaN(value) && (_bestFile is null || better))
        {
            _bestFile = file;
            _bestValue = value;
            _bestStamp = stamp;
            _bestIsFirst = first;
        }
    }

    private void Keep(FileState? file, double value, double stamp)
    {
        if (_count == _files.Length)
        {
            Array.Resize(ref _files, _count * 2);
            Array.Resize(ref _values, _count * 2);
            Array.Resize(ref _stamps, _count * 2);
        }

        _files[_count] = file;
        _values[_count] = value;
        _stamps[_count] = stamp;
        _count++;
    }
}
