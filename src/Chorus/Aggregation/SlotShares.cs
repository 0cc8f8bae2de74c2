namespace Chorus.Aggregation;

/// <summary>
/// Splits the files whose values changed among threads for the merge per changed slot (<see cref="ChangedSlots"/>): files
/// that hold a family in common go to the same thread, so each family's slots, contributions and pending lists are written
/// by one thread only. Writers keep each kind of metric in its own files, so the shares are usually those kinds
/// (counters, histograms, each gauge mode); a family found in files of two kinds joins them into one share.
/// </summary>
internal sealed class SlotShares
{
    /// <summary>The most threads an update uses.</summary>
    private const int MaxWorkers = 8;

    // Per changed file (same index): first its group's parent (union-find over files), then the share that updates it.
    private int[] _shareOf = [];
    private long[] _weights = [];
    private readonly List<int> _roots = [];

    /// <summary>Per file of the last <see cref="Assign"/> (same index), the share that updates it.</summary>
    public int[] ShareOf => _shareOf;

    /// <summary>
    /// Assigns each of <paramref name="files"/> to a share, balancing their changed entries; returns how many shares to run:
    /// 1 (and no assignment) when there are fewer than <paramref name="minimumChanges"/> changed entries, one core, or one
    /// group of files.
    /// </summary>
    /// <param name="files">The files whose values changed, each with its <see cref="FileState.Changes"/>.</param>
    /// <param name="generation">This collection's pass (marks the families seen).</param>
    /// <param name="minimumChanges">Below this many changed entries, the update stays on the caller's thread.</param>
    public int Assign(List<FileState> files, int generation, long minimumChanges)
    {
        int cores = Math.Min(Environment.ProcessorCount, MaxWorkers);
        long changes = 0;
        foreach (FileState file in files)
        {
            changes += file.Changes!.Count;
        }

        if (cores < 2 || files.Count < 2 || changes < minimumChanges)
        {
            return 1;
        }

        Group(files, generation);
        int workers = Math.Min(cores, _roots.Count);
        if (workers < 2)
        {
            return 1;
        }

        // Heaviest group first, each to the least loaded share; a group's root then holds its share.
        _roots.Sort((a, b) => _weights[b].CompareTo(_weights[a]));
        Span<long> load = stackalloc long[workers];
        foreach (int root in _roots)
        {
            int lightest = MergePartition.Lightest(load);
            load[lightest] += _weights[root];
            _weights[root] = ~lightest;
        }

        for (int f = 0; f < files.Count; f++)
        {
            _shareOf[f] = Find(f);
        }

        for (int f = 0; f < files.Count; f++)
        {
            _shareOf[f] = (int)~_weights[_shareOf[f]];
        }

        return workers;
    }

    /// <summary>Joins files that hold a family in common (each family remembers the first file seen holding it); lists the groups' roots with their changed entries.</summary>
    private void Group(List<FileState> files, int generation)
    {
        if (_shareOf.Length < files.Count)
        {
            _shareOf = new int[files.Count];
            _weights = new long[files.Count];
        }

        for (int f = 0; f < files.Count; f++)
        {
            _shareOf[f] = f;
            _weights[f] = 0;
        }

        for (int f = 0; f < files.Count; f++)
        {
            foreach (FamilyState family in files[f].Families)
            {
                if (family.SlotShareIn != generation)
                {
                    family.SlotShareIn = generation;
                    family.SlotShareFile = f;
                }
                else
                {
                    Join(f, family.SlotShareFile);
                }
            }
        }

        _roots.Clear();
        for (int f = 0; f < files.Count; f++)
        {
            int root = Find(f);
            if (root == f)
            {
                _roots.Add(f);
            }

            _weights[root] += files[f].Changes!.Count;
        }
    }

    private int Find(int file)
    {
        while (_shareOf[file] != file)
        {
            // Halving the path keeps later finds short.
            _shareOf[file] = _shareOf[_shareOf[file]];
            file = _shareOf[file];
        }

        return file;
    }

    private void Join(int a, int b)
    {
        int rootA = Find(a);
        int rootB = Find(b);
        if (rootA != rootB)
        {
            _shareOf[Math.Max(rootA, rootB)] = Math.Min(rootA, rootB);
        }
    }
}
