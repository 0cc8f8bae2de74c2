namespace Chorus.Aggregation;

/// <summary>
/// A <see cref="FrozenSlotPart"/> for the folds that pick a value rather than add them up: of the frozen contributions
/// only one or two decide the fold, so they are kept as fields, not arrays.
/// </summary>
/// <remarks>
/// Last (all/liveall): the last frozen value. MostRecent: the first frozen value with the greatest timestamp. Min and Max:
/// the first frozen value (a NaN there stays) and the first extreme one among the values that are not NaN. Any other
/// contribution can come and go; the kept ones cannot be thawed in place (the owner builds the family's parts again).
/// </remarks>
internal sealed class FrozenPickedPart(FoldKind kind) : FrozenSlotPart
{
    // Kept in file order: the first ranks no later than the best (Min/Max); Last and MostRecent keep only the first.
    private FrozenContribution _first;
    private FrozenContribution _best;

    // The collection folding this part now, and how many of the kept contributions it folded.
    private int _generation;
    private int _cursor;

    /// <inheritdoc/>
    public override FoldKind Kind { get; } = kind;

    private int Kept => _first.File is null ? 0 : _best.File is null ? 1 : 2;

    /// <inheritdoc/>
    public override bool Add(FileState file, double value, double stamp)
    {
        Contributions++;
        var contribution = new FrozenContribution(file, value, stamp);
        switch (Kind)
        {
            case FoldKind.Last:
                // Entries of one file come in entry order, so the later one of the same file replaces the earlier.
                if (_first.File is null || file.Rank >= _first.File.Rank)
                {
                    _first = contribution;
                }

                break;
            case FoldKind.MostRecent:
                // As the fold: strictly newer than the best so far, which starts at 0; of equal ones the first in file order.
                double best = _first.File is null ? 0.0 : _first.Stamp;
                if (best < stamp || (_first.File is not null && best == stamp && file.Rank < _first.File.Rank))
                {
                    _first = contribution;
                }

                break;
            default:
                AddExtreme(contribution);
                break;
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool Remove(FileState file, double value)
    {
        Contributions--;
        return _first.File != file && _best.File != file;
    }

    /// <inheritdoc/>
    public override void Advance(SeriesSlot slot, int rank, double liveValue, int generation, int numbering)
    {
        Start(slot, generation);
        while (_cursor < Kept && KeptAt(_cursor).File!.Rank < rank)
        {
            Fold(slot, KeptAt(_cursor++));
        }
    }

    /// <inheritdoc/>
    public override bool Finish(SeriesSlot slot, int generation, int numbering)
    {
        Start(slot, generation);
        while (_cursor < Kept)
        {
            Fold(slot, KeptAt(_cursor++));
        }

        return true;
    }

    private FrozenContribution KeptAt(int index) => index == 0 ? _first : _best;

    private void Fold(SeriesSlot slot, FrozenContribution contribution) => MergeRules.Fold(slot, Kind, contribution.Value, contribution.Stamp);

    private void Start(SeriesSlot slot, int generation)
    {
        if (_generation != generation)
        {
            _generation = generation;
            _cursor = 0;
            slot.Touch(generation);
        }
    }

    private void AddExtreme(FrozenContribution contribution)
    {
        FileState file = contribution.File!;
        if (_first.File is null || file.Rank < _first.File.Rank)
        {
            // The first value seeds the fold, a NaN included.
            _first = contribution;
        }

        double value = contribution.Value;
        if (!double.IsNaN(value))
        {
            bool better = _best.File is null || (Kind == FoldKind.Max ? value > _best.Value : value < _best.Value);
            bool worse = _best.File is not null && (Kind == FoldKind.Max ? value < _best.Value : value > _best.Value);
            if (better || (!worse && file.Rank < _best.File!.Rank))
            {
                // Of equal extremes (0 and -0 included) the first in file order; folding the first again changes nothing.
                _best = contribution;
            }
        }
    }
}
