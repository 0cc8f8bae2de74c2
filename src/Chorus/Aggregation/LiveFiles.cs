using System.Diagnostics;

namespace Chorus.Aggregation;

/// <summary>
/// The files not frozen, in file order (<see cref="Files"/>): the only ones a warm collection refreshes. Brought up to date
/// when the listing or the frozen set changes; every file is walked only when the file order changed.
/// </summary>
/// <param name="files">Every listed file by name (the coordinator's).</param>
/// <param name="ordered">Every listed file in file order (the coordinator's).</param>
/// <param name="times">Times the frozen parts' updates.</param>
internal sealed class LiveFiles(Dictionary<string, FileState> files, List<FileState> ordered, CollectionStageTimes times)
{
    /// <summary>The files not frozen, in file order.</summary>
    public List<FileState> Files { get; } = [];

    /// <summary>Where the frozen parts' updates are timed (the collection's times, or those of probes made after a response).</summary>
    public CollectionStageTimes Times { get; set; } = times;

    /// <summary>
    /// Files to join <see cref="Files"/> at their rank (names the directory watch reported, files thawed one at a time), so a
    /// change of a few files does not walk every file.
    /// </summary>
    public List<FileState> Added { get; } = [];

    /// <summary>Set when the file order changed (or every file froze or thawed): every file is walked again.</summary>
    public bool Stale { get; set; } = true;

    /// <summary>Keeps the frozen parts true to the frozen files (one file at a time in place, all of them by building again) and the live files listed.</summary>
    public void OnFrozenOrThawed(FileState file, bool alone)
    {
        if (!alone)
        {
            file.MarkFrozenPartsStale();
            Stale = true;
        }
        else if (file.Frozen)
        {
            long started = Stopwatch.GetTimestamp();
            FrozenPartials.AddFrozen(file);
            Times.Add(CollectionStage.AddFrozen, started);
        }
        else
        {
            long started = Stopwatch.GetTimestamp();
            FrozenPartials.RemoveThawed(file);
            Times.Add(CollectionStage.RemoveThawed, started);
            Added.Add(file);
        }
    }

    /// <summary>Brings the list of files to refresh up to date when the listing or the frozen set changed; true when the listing did.</summary>
    public bool Update(FrozenFiles frozen)
    {
        bool listingChanged = Stale;
        if (listingChanged)
        {
            Files.Clear();
            foreach (FileState file in ordered)
            {
                if (!file.Frozen)
                {
                    Files.Add(file);
                }
            }

            Stale = false;
        }
        else if (frozen.SetChanged || Added.Count > 0)
        {
            // Files frozen leave; files thawed or added one at a time join at their rank.
            Files.RemoveAll(static file => file.Frozen);
            foreach (FileState file in Added)
            {
                int index = Files.BinarySearch(file, RankOrder.Instance);
                if (index < 0 && !file.Frozen && files.TryGetValue(file.FileName, out FileState? listed) && listed == file)
                {
                    Files.Insert(~index, file);
                }
            }
        }

        Added.Clear();
        frozen.SetChanged = false;
        return listingChanged;
    }

    private sealed class RankOrder : IComparer<FileState>
    {
        public static readonly RankOrder Instance = new();

        public int Compare(FileState? x, FileState? y) => x!.Rank.CompareTo(y!.Rank);
    }
}
