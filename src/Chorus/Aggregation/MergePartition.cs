namespace Chorus.Aggregation;

/// <summary>
/// Splits the families a collection merges among threads (<see cref="FamilyState.MergeWorker"/>), so a large merge folds
/// on every core. Each family is folded by one thread only, over every file in file order, so the result is the one
/// thread's: families share no merge state (their slots, label groups, frozen parts and the cached slots of their keys
/// are their own, and a file's per-entry slots are written at distinct indices).
/// </summary>
internal static class MergePartition
{
    /// <summary>The most threads a merge uses (more cores than families with much work are seldom useful).</summary>
    private const int MaxWorkers = 8;

    /// <summary>
    /// Assigns each family changed in <paramref name="generation"/> to a worker, balancing their estimated entries (a
    /// file's entries shared evenly among the families it holds: exact when a file's families are alike, as on hosts
    /// where this matters, and read without visiting any entry). Returns how many workers to run: 1 when the merge is too
    /// small to be worth other threads (<paramref name="minimumEntries"/> entries) or there is one core or one family.
    /// </summary>
    /// <param name="files">The files the merge folds.</param>
    /// <param name="generation">This collection's pass.</param>
    /// <param name="minimumEntries">Below this many entries to fold, the merge stays on the caller's thread.</param>
    /// <param name="changed">Receives the changed families, the heaviest first.</param>
    public static int Assign(List<FileState> files, int generation, long minimumEntries, List<FamilyState> changed)
    {
        changed.Clear();
        long entries = 0;
        foreach (FileState file in files)
        {
            entries += file.Count;
            long share = file.Count / Math.Max(1, file.Families.Count);
            foreach (FamilyState family in file.Families)
            {
                if (family.ChangedIn != generation)
                {
                    continue;
                }

                if (family.MergeWeightIn != generation)
                {
                    family.MergeWeightIn = generation;
                    family.MergeWeight = 0;
                    changed.Add(family);
                }

                family.MergeWeight += share;
            }
        }

        int workers = Math.Min(Math.Min(Environment.ProcessorCount, MaxWorkers), changed.Count);
        if (workers < 2 || entries < minimumEntries)
        {
            return 1;
        }

        // Longest first, each to the least loaded worker: within a small family's weight of the best split.
        changed.Sort(static (a, b) => b.MergeWeight.CompareTo(a.MergeWeight));
        Span<long> load = stackalloc long[workers];
        foreach (FamilyState family in changed)
        {
            int lightest = 0;
            for (int w = 1; w < workers; w++)
            {
                lightest = load[w] < load[lightest] ? w : lightest;
            }

            family.MergeWorker = lightest;
            load[lightest] += family.MergeWeight;
        }

        return workers;
    }
}
