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
    /// Merges files new to the listing into file order (a worker replaced every second adds a few files to thousands): each
    /// one's place found by binary search and the files between moved as references, so the files already ranked are not
    /// visited one by one (after an idle gap each visit is a cache miss). Each run of new files gets ranks spread between
    /// its neighbours', so no other rank changes (and nothing that keeps ranks reads them again); false when the neighbours
    /// leave no room. A run at the end is spaced as a full numbering spaces files.
    /// </summary>
    public bool TryInsert(List<FileState> added)
    {
        added.Sort(static (a, b) => string.CompareOrdinal(a.FileName, b.FileName));
        int count = ordered.Count;
        int[] places = new int[added.Count];
        for (int i = 0; i < added.Count; i++)
        {
            places[i] = PlaceOf(added[i].FileName, i > 0 ? places[i - 1] : 0, count);
        }

        CollectionsMarshal.SetCount(ordered, count + added.Count);
        Span<FileState> merged = CollectionsMarshal.AsSpan(ordered);
        int movedEnd = count;
        for (int i = added.Count - 1; i >= 0; i--)
        {
            // The files from this one's place on move up by the new files placed before them or here.
            int place = places[i];
            merged[place..movedEnd].CopyTo(merged[(place + i + 1)..]);
            merged[place + i] = added[i];
            movedEnd = place;
        }

        for (int i = 0; i < added.Count;)
        {
            // A run of new files next to each other in file order shares its neighbours.
            int start = places[i] + i;
            int run = 1;
            while (i + run < added.Count && places[i + run] == places[i])
            {
                run++;
            }

            int end = start + run;
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

            i += run;
        }

        return true;
    }

    /// <summary>The index of the first of the first <paramref name="count"/> of <paramref name="files"/> (in file order) ranked <paramref name="rank"/> or later.</summary>
    public static int FirstRankedFrom(FileState[] files, int count, long rank)
    {
        int low = 0;
        int high = count;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (files[middle].Rank < rank)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>Where <paramref name="file"/> first is among the first <paramref name="count"/> of <paramref name="files"/> (in file order), or -1.</summary>
    public static int IndexOf(FileState[] files, int count, FileState file)
    {
        for (int i = FirstRankedFrom(files, count, file.Rank); i < count && files[i].Rank == file.Rank; i++)
        {
            if (files[i] == file)
            {
                return i;
            }
        }

        // Not where its rank says (files out of file order): found all the same, only slower.
        return Array.IndexOf(files, file, 0, count);
    }

    /// <summary>Where <paramref name="name"/> (not listed yet) goes among the first <paramref name="count"/> listed files, from <paramref name="low"/> on.</summary>
    private int PlaceOf(string name, int low, int count)
    {
        int high = count;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (string.CompareOrdinal(ordered[middle].FileName, name) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
