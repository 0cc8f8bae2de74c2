using System.Runtime.ExceptionServices;

namespace Chorus.Aggregation;

/// <summary>
/// Splits the families a collection merges among threads (<see cref="FamilyState.MergeWorker"/>), so a large merge folds
/// on every core. Each family is folded by one thread only, over every file in file order, so the result is the one
/// thread's: families share no merge state (their slots, label groups, frozen parts and the cached slots of their keys
/// are their own, and a file's per-entry slots are written at distinct indices).
/// </summary>
/// <remarks>
/// Families that meet in a file go to the same worker (they form one group), so a worker visits only the files of its own
/// groups: walking another worker's entries to skip them costs as much as a warm fold of them (three dependent loads per
/// entry). Writers keep each kind of metric in its own files (counters, histograms, each gauge mode), so the groups are
/// those kinds.
/// </remarks>
internal static class MergePartition
{
    /// <summary>The most threads a merge uses (more cores than families with much work are seldom useful).</summary>
    private const int MaxWorkers = 8;

    /// <summary>
    /// Assigns each family changed in <paramref name="generation"/> to a worker, balancing the estimated entries of the
    /// groups of families that share files (a file's entries shared evenly among the families it holds, read without
    /// visiting any entry). Returns how many workers to run: 1 when the merge is too small to be worth other threads
    /// (<paramref name="minimumEntries"/> entries) or there is one core or one group.
    /// </summary>
    /// <param name="files">The files the merge folds.</param>
    /// <param name="generation">This collection's pass.</param>
    /// <param name="minimumEntries">Below this many entries to fold, the merge stays on the caller's thread.</param>
    /// <param name="changed">Receives the changed families; then the groups' roots, the heaviest first.</param>
    public static int Assign(List<FileState> files, int generation, long minimumEntries, List<FamilyState> changed)
    {
        long entries = Weigh(files, generation, changed);
        int cores = Math.Min(Environment.ProcessorCount, MaxWorkers);
        if (cores < 2 || entries < minimumEntries || changed.Count < 2)
        {
            return 1;
        }

        List<FamilyState> families = [.. changed];
        GroupBySharedFiles(files, generation, changed);
        int workers = Math.Min(cores, changed.Count);
        if (workers < 2)
        {
            return 1;
        }

        // Longest first, each to the least loaded worker.
        changed.Sort(static (a, b) => b.MergeWeight.CompareTo(a.MergeWeight));
        Span<long> load = stackalloc long[workers];
        foreach (FamilyState root in changed)
        {
            int lightest = Lightest(load);
            root.MergeWorker = lightest;
            load[lightest] += root.MergeWeight;
        }

        foreach (FamilyState family in families)
        {
            family.MergeWorker = Root(family).MergeWorker;
        }

        return workers;
    }

    /// <summary>True when <paramref name="file"/> holds a family changed in <paramref name="generation"/> that <paramref name="worker"/> folds.</summary>
    public static bool HoldsFamilyOf(FileState file, int generation, int worker, int workers)
    {
        foreach (FamilyState family in file.Families)
        {
            if (family.ChangedIn == generation && family.MergeWorker % workers == worker)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Joins the changed families that meet in a file into groups, and replaces <paramref name="changed"/> with the groups'
    /// roots, each weighing what its group's families do.
    /// </summary>
    private static void GroupBySharedFiles(List<FileState> files, int generation, List<FamilyState> changed)
    {
        foreach (FileState file in files)
        {
            FamilyState? first = null;
            foreach (FamilyState family in file.Families)
            {
                if (family.ChangedIn == generation)
                {
                    first = first is null ? Root(family) : Join(first, family);
                }
            }
        }

        int roots = 0;
        foreach (FamilyState family in changed)
        {
            FamilyState root = Root(family);
            if (root != family)
            {
                root.MergeWeight += family.MergeWeight;
            }
        }

        for (int i = 0; i < changed.Count; i++)
        {
            if (changed[i].MergeLink is null)
            {
                changed[roots++] = changed[i];
            }
        }

        changed.RemoveRange(roots, changed.Count - roots);
    }

    /// <summary>Lists the changed families, each with its estimated entries and no group yet; returns the files' entries.</summary>
    private static long Weigh(List<FileState> files, int generation, List<FamilyState> changed)
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
                    family.MergeLink = null;
                    changed.Add(family);
                }

                family.MergeWeight += share;
            }
        }

        return entries;
    }

    /// <summary>
    /// Runs <paramref name="work"/> once for each worker number below <paramref name="workers"/>, on the caller's thread and
    /// the pool's. The workers share nothing, so running them one after another (a busy pool) gives the same result.
    /// </summary>
    public static void OnWorkers(int workers, Action<int> work)
    {
        try
        {
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, work);
        }
        catch (AggregateException failed) when (failed.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Throw(failed.InnerExceptions[0]);
        }
    }

    /// <summary>The worker with the least load so far (the first of equal ones): where the next heaviest group goes.</summary>
    public static int Lightest(ReadOnlySpan<long> load)
    {
        int lightest = 0;
        for (int w = 1; w < load.Length; w++)
        {
            lightest = load[w] < load[lightest] ? w : lightest;
        }

        return lightest;
    }

    private static FamilyState Root(FamilyState family)
    {
        while (family.MergeLink is { } next)
        {
            // Halving the path keeps later finds short.
            family.MergeLink = next.MergeLink ?? next;
            family = next;
        }

        return family;
    }

    private static FamilyState Join(FamilyState root, FamilyState family)
    {
        FamilyState other = Root(family);
        if (other != root)
        {
            other.MergeLink = root;
        }

        return root;
    }
}
