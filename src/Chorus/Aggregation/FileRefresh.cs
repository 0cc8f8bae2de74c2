using System.Diagnostics;
using System.Buffers;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// The load stage of <see cref="MultiProcessDirectory"/>: every file not frozen is refreshed (values copied from kept
/// mappings, on every core for a big directory) or read (new and changed files, one at a time in file order; on the
/// first pass with a second core reading ahead), and the removal sidecars that go with it.
/// </summary>
internal sealed class FileRefresh
{
    private const int ReadAheadMinimumFiles = 64;
    private const int ParallelRefreshMinimumFiles = 256;
    private readonly string _directory;
    private readonly MultiProcessDirectoryOptions _options;
    private readonly KeyTable _keys;
    private readonly FileLoader _loader;
    private readonly FrozenFiles _frozen;
    private readonly List<FileState> _ordered;
    private readonly List<FileState> _live;
    private readonly Action<int> _refreshWorker;
    private int _refreshWorkers;

    // The next of _live a refresh worker takes: files are taken one at a time, so the cost of a file (a histogram file
    // with many changed regions against a gauge file with none) never leaves a core idle while another works through a
    // fixed share.
    private int _nextToRefresh;

    // The pass the refresh in progress belongs to (the workers run as one cached delegate).
    private CollectionPass? _refreshPass;

    // Covers typical files (histogram files use ~40 KiB); bigger ones are read by the sequential pass.
    private const int RefreshBufferBytes = 1 << 16;

    /// <summary>A load stage over the coordinator's file order (<paramref name="ordered"/>) and the files not frozen in it (<paramref name="live"/>).</summary>
    /// <param name="directory">The directory read.</param>
    /// <param name="options">The directory's options (cold read-ahead).</param>
    /// <param name="keys">Resolves the keys of removal sidecars.</param>
    /// <param name="loader">Reads the files.</param>
    /// <param name="frozen">Takes the files offered for freezing; its files count as read.</param>
    /// <param name="ordered">Every listed file in file order.</param>
    /// <param name="live">The files not frozen, in file order: the ones loaded.</param>
    public FileRefresh(string directory, MultiProcessDirectoryOptions options, KeyTable keys, FileLoader loader, FrozenFiles frozen, List<FileState> ordered, List<FileState> live)
    {
        _directory = directory;
        _options = options;
        _keys = keys;
        _loader = loader;
        _frozen = frozen;
        _ordered = ordered;
        _live = live;
        _refreshWorker = RefreshWorker;
    }

    /// <summary>How many workers the last warm refresh ran: 1 on one thread, one per core on a big directory (for tests).</summary>
    public int RefreshWorkers => _refreshWorkers;

    /// <summary>Files the last collection took from a <see cref="ColdReadAhead"/> (for tests).</summary>
    public int FilesReadAhead { get; private set; }

    /// <summary>
    /// Loads every file not frozen into <paramref name="pass"/> (its problems, files read and vanished), noting which file
    /// each name was in <paramref name="identities"/> when given.
    /// </summary>
    public void LoadAll(CollectionPass pass, List<string> directoriesNamedDb, Dictionary<string, FileIdentity>? identities)
    {
        foreach (string name in directoriesNamedDb)
        {
            pass.Problems.Add(new FileProblem(name, FileProblemKind.Unreadable, "a directory, not a .db file", DbDamage.None, 0));
        }

        using ColdReadAhead? readAhead = StartReadAhead(pass, identityFromListing: identities is null);
        _loader.ReadAhead = readAhead;
        long at = Stopwatch.GetTimestamp();
        RefreshAhead(pass);
        at = pass.Times.Add(CollectionStage.Refresh, at);
        try
        {
            LoadEach(pass, identities);
            pass.Times.Add(CollectionStage.Load, at);
        }
        finally
        {
            _loader.ReadAhead = null;
            FilesReadAhead = readAhead?.Taken ?? 0;
        }
    }

    /// <summary>
    /// On a warm pass, files whose entries are all parsed are refreshed first (fstat and value copy from the mapping
    /// for kept files, open/read/close for idle ones: most of a warm collection), on every core for a big directory;
    /// <see cref="LoadEach"/> then does the rest in file order, so the merge and its output stay as with one thread.
    /// Files this cannot refresh are left for it.
    /// </summary>
    private void RefreshAhead(CollectionPass pass)
    {
        if (pass.Collection < 2)
        {
            return;
        }

        _refreshPass = pass;
        _nextToRefresh = 0;
        if (_live.Count >= ParallelRefreshMinimumFiles && Environment.ProcessorCount >= 2)
        {
            // Fixed shares left one core working alone for the last 12–32 ms of a GitLab-sized host's 40 ms refresh:
            // Parallel.For handed one worker the histogram files (8 MiB each, most of the changes) in one batch.
            _refreshWorkers = Math.Min(Environment.ProcessorCount, 8);
            Parallel.For(0, _refreshWorkers, _refreshWorker);
        }
        else
        {
            _refreshWorkers = 1;
            RefreshWorker(0);
        }

        _refreshPass = null;
    }

    /// <summary>Refreshes files of <see cref="_live"/>, taking the next one not taken until none is left.</summary>
    private void RefreshWorker(int worker)
    {
        int count = _live.Count;
        CollectionPass pass = _refreshPass!;
        long bytesRead = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(RefreshBufferBytes);
        try
        {
            for (int i = Interlocked.Increment(ref _nextToRefresh) - 1; i < count; i = Interlocked.Increment(ref _nextToRefresh) - 1)
            {
                FileState file = _live[i];
                if (!ValueRefresh.TryRefreshKept(file, pass) && ValueRefresh.TryRefreshIdle(file, pass, _loader.WouldKeep(file, pass.Now), buffer, out int read))
                {
                    bytesRead += read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        pass.CountReadConcurrently(bytesRead);
    }

    /// <summary>On the first pass over a big directory, files are read on a second core while this one parses.</summary>
    private ColdReadAhead? StartReadAhead(CollectionPass pass, bool identityFromListing)
    {
        if (pass.Collection != 1 || pass.Generation != 1 || Environment.ProcessorCount < 2 || !_options.ColdReadAhead)
        {
            return null;
        }

        List<FileState> cold = _ordered.Where(file => file.NameError is null && file.Kept is null).ToList();
        return cold.Count >= ReadAheadMinimumFiles ? new ColdReadAhead(_directory, cold, identityFromListing) : null;
    }

    private void LoadEach(CollectionPass pass, Dictionary<string, FileIdentity>? identities)
    {
        List<FileProblem> problems = pass.Problems;
        foreach (FileState file in _live)
        {
            if (file.NameError is not null)
            {
                problems.Add(new FileProblem(file.FileName, FileProblemKind.UnrecognizedName, file.NameError, DbDamage.None, 0));
                continue;
            }

            FileProblem? problem = LoadTimed(file, pass);
            if (file.HasRemovals || file.RemovalsReadFor is not null)
            {
                RefreshRemovals(file, pass.Generation);
            }

            if (problem is not null)
            {
                problems.Add(problem);
                if (problem.Kind == FileProblemKind.Vanished)
                {
                    (pass.Vanished ??= []).Add(file);
                }

                if (problem.Kind != FileProblemKind.Damaged)
                {
                    continue;
                }
            }

            if (identities is not null)
            {
                identities[file.FileName] = file.Identity;
            }

            pass.FilesRead++;
            // A file with a removal sidecar freezes too: its frozen parts leave the removed keys out, and any event on the
            // sidecar thaws it (FrozenFiles), so a new list is read (RefreshRemovals) before the file counts again.
            if (problem is null && file.ChangedInCollection != pass.Collection && file.Layout is not null && file.Count > 0
                && file.Identity != FileIdentity.Unknown)
            {
                _frozen.Offer(file, pass.Now);
            }
        }

        // Frozen files were read cleanly before and still hold what was read.
        pass.FilesRead += _frozen.Count;
        if (identities is not null)
        {
            foreach (FileState file in _frozen.Files)
            {
                identities[file.FileName] = file.Identity;
            }
        }
    }

    /// <summary>Loads one file, timing it when it is read in full.</summary>
    private FileProblem? LoadTimed(FileState file, CollectionPass pass)
    {
        int fullReads = pass.FullReads;
        long started = Stopwatch.GetTimestamp();
        FileProblem? problem = _loader.Load(file, pass);
        if (pass.FullReads != fullReads)
        {
            pass.Times.Add(CollectionStage.FullRead, started);
        }

        return problem;
    }

    /// <summary>
    /// Reads <paramref name="file"/>'s removal sidecar again when it (or the file) is not the one last read, and then
    /// merges the file's families in full: a list that did not change leaves the file's changes to the merge per
    /// changed slot, which skips removed keys too, so a writer that once removed a series does not cost a full merge of
    /// its file's families on every scrape.
    /// </summary>
    private void RefreshRemovals(FileState file, int generation)
    {
        RemovalsStamp? stamp = file.HasRemovals ? RemovalsStamp.Of(file) : null;
        if (stamp is not null && stamp == file.RemovalsReadFor)
        {
            return;
        }

        file.MarkFamiliesChanged(generation);
        file.RemovedKeys = stamp is null ? null : RemovedKeysOf(file);
        file.RemovalsReadFor = stamp;
    }

    private HashSet<ParsedKey>? RemovedKeysOf(FileState file)
    {
        RemovedKeyList listed = DbRemovedKeys.Read(file.Path);
        if (file.Identity != FileIdentity.Unknown && !listed.AppliesTo(file.Identity.Inode))
        {
            // Removed from the file a rewrite replaced: this one holds none of them, unless its owner made one again.
            return null;
        }

        HashSet<ParsedKey>? removed = null;
        foreach (byte[] key in listed)
        {
            if (_keys.TryResolve(key, file.Name.Kind, out ParsedKey? parsed, out _))
            {
                (removed ??= []).Add(parsed!);
            }
        }

        return removed;
    }
}
