namespace Chorus.Aggregation;

/// <summary>
/// What a sum fold from an empty slot holds after a <see cref="FrozenSlotPart"/>'s exact run and each of its values kept
/// one by one, added in file order as the fold adds them: the frozen values ranked before a slot's first live value are
/// then folded with one store, bit for bit as one by one.
/// </summary>
internal sealed class FrozenPrefixSums
{
    private double[] _sums = [];
    private bool _stale = true;

    /// <summary>The part's run or values changed: the sums are computed again when next read.</summary>
    public void MarkStale() => _stale = true;

    /// <summary>The fold after the run (when <paramref name="hasRun"/>) and the first <paramref name="end"/> of <paramref name="values"/>.</summary>
    public double At(int end, bool hasRun, double runSum, double[] values, int count)
    {
        if (_stale)
        {
            if (_sums.Length < count + 1)
            {
                _sums = new double[values.Length + 1];
            }

            // As the part starts a slot (0, then the run's sum when there is a run) and MergeRules.Fold adds each value.
            double sum = hasRun ? 0.0 + runSum : 0.0;
            _sums[0] = sum;
            for (int i = 0; i < count; i++)
            {
                sum += values[i];
                _sums[i + 1] = sum;
            }

            _stale = false;
        }

        return _sums[end];
    }

    /// <summary>
    /// The fold from an empty slot of the run (when <paramref name="hasRun"/>), the first <paramref name="count"/> of
    /// <paramref name="values"/> (their files ranked <paramref name="ranks"/>) and the <paramref name="live"/> values of
    /// <paramref name="files"/> (in file order), as the full merge adds them: the frozen values before the first live one
    /// from the prefix sums, then one addition per value after it. <paramref name="inRun"/> gets the live values ranked
    /// inside the run (before <paramref name="runEndRank"/>), which must keep it exact for the fold to be a file-order one.
    /// </summary>
    public double Fold(bool hasRun, double runSum, int runEndRank, double[] values, int[] ranks, int count, ReadOnlySpan<FileState> files, ReadOnlySpan<double> live, out ExactSum inRun)
    {
        int cursor = 0;
        int rank = files[0].Rank;
        while (cursor < count && ranks[cursor] < rank)
        {
            cursor++;
        }

        double sum = At(cursor, hasRun, runSum, values, count);
        inRun = ExactSum.Empty;
        for (int j = 0; j < live.Length; j++)
        {
            rank = files[j].Rank;
            for (; cursor < count && ranks[cursor] < rank; cursor++)
            {
                sum += values[cursor];
            }

            if (hasRun && rank < runEndRank)
            {
                inRun = inRun.With(live[j]);
            }

            sum += live[j];
        }

        for (; cursor < count; cursor++)
        {
            sum += values[cursor];
        }

        return sum;
    }
}
