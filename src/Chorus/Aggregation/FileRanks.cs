using System.Runtime.InteropServices;

namespace Chorus.Aggregation;

/// <summary>
/// The ranks of the listed files (<see cref="FileState.Rank"/>), ascending in file order: numbered afresh with room
/// between neighbours, so files added later take ranks between their neighbours' and no other rank changes.
/// </summary>
/// <param name="ordered">The listed files in file order (the coordinator's).</param>
internal sealed class FileRanks(List<FileState> ordered)
{
    // Room left between two files' ranks by a full numbering: about a dozen files added between two neighbours, one at a
    // time, before every rank is numbered again.
    private const int RankSpacing = 1 << 12;

    /// <summary>Changes whenever file ranks (<see cref="FileState.Rank"/>) are numbered again.</summary>
    public int RankNumbering { get; private set; }

    /// <summary>Numbers every file's rank afresh, leaving room between neighbours for files added later (<see cref="TryInsert"/>).</summary>
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
    /// Merges files new to the listing into file order, in one pass however many they are (a worker replaced every second
    /// adds a few files to thousands), and gives each run of them ranks spread between its neighbours', so no other rank
    /// changes (and nothing that keeps ranks reads them again); false when the neighbours leave no room. A run at the end is
    /// spaced as a full numbering spaces files.
    /// </summary>
    public bool TryInsert(List<FileState> added)
    {
        added.Sort(static (a, b) => string.CompareOrdinal(a.FileName, b.FileName));
        int read = ordered.Count - 1;
        CollectionsMarshal.SetCount(ordered, ordered.Count + added.Count);
        Span<FileState> merged = CollectionsMarshal.AsSpan(ordered);
        int write = merged.Length - 1;
        for (int i = added.Count - 1; i >= 0; i--)
        {
            while (read >= 0 && string.CompareOrdinal(merged[read].FileName, added[i].FileName) > 0)
            {
                merged[write--] = merged[read--];
            }

            merged[write--] = added[i];
        }

        // Files never ranked have rank 0; every ranked file has a rank of 1 or more.
        for (int start = 0; start < merged.Length; start++)
        {
            if (merged[start].Rank != 0)
            {
                continue;
            }

            int end = start;
            while (end < merged.Length && merged[end].Rank == 0)
            {
                end++;
            }

            int run = end - start;
            long before = start > 0 ? merged[start - 1].Rank : 0;
            long after = end < merged.Length ? merged[end].Rank : Math.Min(int.MaxValue, before + ((run + 1L) * RankSpacing));
            if (after - before <= run)
            {
                return false;
            }

            for (int k = 0; k < run; k++)
            {
                merged[start + k].Rank = (int)(before + ((after - before) * (k + 1) / (run + 1)));
            }

            start = end;
        }

        return true;
    }
}
