namespace Chorus.Aggregation;

/// <summary>
/// The ranks of the listed files (<see cref="FileState.Rank"/>), ascending in file order: numbered afresh with room
/// between neighbours, so a file added later takes a rank between its neighbours' and no other rank changes.
/// </summary>
/// <param name="ordered">The listed files in file order (the coordinator's).</param>
internal sealed class FileRanks(List<FileState> ordered)
{
    // Room left between two files' ranks by a full numbering: about a dozen files added between two neighbours, one at a
    // time, before every rank is numbered again.
    private const int RankSpacing = 1 << 12;

    /// <summary>Changes whenever file ranks (<see cref="FileState.Rank"/>) are numbered again.</summary>
    public int RankNumbering { get; private set; }

    /// <summary>Numbers every file's rank afresh, leaving room between neighbours for files added later (<see cref="TryRankBetween"/>).</summary>
    public void NumberRanks()
    {
        int spacing = (int)Math.Clamp(int.MaxValue / (ordered.Count + 2L), 1, RankSpacing);
        for (int i = 0; i < ordered.Count; i++)
        {
            ordered[i].Rank = (i + 1) * spacing;
        }

        RankNumbering++;
    }

    /// <summary>
    /// Gives the file just inserted at <paramref name="index"/> a rank between its neighbours', so no other rank changes
    /// (and nothing that keeps ranks reads them again); false when they leave no room.
    /// </summary>
    public bool TryRankBetween(int index)
    {
        long before = index > 0 ? ordered[index - 1].Rank : 0;
        long after = index + 1 < ordered.Count ? ordered[index + 1].Rank : Math.Min(int.MaxValue, before + (2L * RankSpacing));
        if (after - before < 2)
        {
            return false;
        }

        ordered[index].Rank = (int)(before + ((after - before) / 2));
        return true;
    }
}
