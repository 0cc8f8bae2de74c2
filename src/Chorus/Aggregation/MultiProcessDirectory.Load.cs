using System.Buffers;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <content>
/// The load stage: every file not frozen is refreshed (values copied from kept mappings, on every core for a big
/// directory) or read (new and changed files, one at a time in file order; on the first pass with a second core
/// reading ahead), and the kept files and removal sidecars that go with it.
/// </content>
public sealed partial class MultiProcessDirectory
{
    private const int ReadAheadMinimumFiles = 64;
    private const int ParallelRefreshMinimumFiles = 256;
    private readonly Action<int> _refreshChunk;
    private int _refreshChunks;

    // The pass the refresh in progress belongs to (the chunks run as one cached delegate).
    private CollectionPass? _refreshPass;

    // Covers typical files (histogram files use ~40 KiB); bigger ones are read by the sequential pass.
    private const int RefreshBufferBytes = 1 << 16;

    private void LoadAll(CollectionPass pass, ref int filesRead, ref List<FileState>? vanished, Dictionary<string, FileIdentity>? identities)
    {
        foreach (string name in _directoriesNamedDb)
        {
            pass.Problems.Add(new FileProblem(name, FileProblemKind.Unreadable, "a directory, not a .db file", DbDamage.None, 0));
        }
        using ColdReadAhead? readAhead = StartReadAhead(identityFromListing: identities is null);
        _loader.ReadAhead = readAhead;
        RefreshAhead(pass);
        try
        {
            LoadEach(pass, ref filesRead, ref vanished, identities);
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
        if (_collections < 2)
        {
            return;
        }

        _refreshPass = pass;
        if (_live.Count >= ParallelRefreshMinimumFiles && Environment.ProcessorCount >= 2)
        {
            // Fixed contiguous chunks, a few per core so a slow chunk does not leave a core idle at the end.
            _refreshChunks = Math.Min(Environment.ProcessorCount, 8) * 4;
            Parallel.For(0, _refreshChunks, _refreshChunk);
        }
        else
        {
            _refreshChunks = 1;
            RefreshChunk(0);
        }

        _refreshPass = null;
    }

    private void RefreshChunk(int chunk)
    {
        int count = _live.Count;
        int start = (int)((long)count * chunk / _refreshChunks);
        int end = (int)((long)count * (chunk + 1) / _refreshChunks);
        CollectionPass pass = _refreshPass!;
        long bytesRead = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(RefreshBufferBytes);
        try
        {
            for (int i = start; i < end; i++)
            {
                FileState file = _live[i];
                if (!FileLoader.TryRefreshKept(file, pass) && _loader.TryRefreshIdle(file, pass, buffer, out int read))
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

    /// <summary>How many chunks the last warm refresh split the files into: 1 on one thread, more on every core (for tests).</summary>
    internal int RefreshChunks => _refreshChunks;

    /// <summary>Files the last collection took from a <see cref="ColdReadAhead"/> (for tests).</summary>
    internal int FilesReadAhead { get; private set; }

    /// <summary>On the first pass over a big directory, files are read on a second core while this one parses.</summary>
    private ColdReadAhead? StartReadAhead(bool identityFromListing)
    {
        if (_collections != 1 || _generation != 1 || Environment.ProcessorCount < 2 || !_options.ColdReadAhead)
        {
            return null;
        }

        List<FileState> cold = _ordered.Where(file => file.NameError is null && file.Kept is null).ToList();
        return cold.Count >= ReadAheadMinimumFiles ? new ColdReadAhead(Directory, cold, identityFromListing) : null;
    }

    private void LoadEach(CollectionPass pass, ref int filesRead, ref List<FileState>? vanished, Dictionary<string, FileIdentity>? identities)
    {
        List<FileProblem> problems = pass.Problems;
        foreach (FileState file in _live)
        {
            if (file.NameError is not null)
            {
                problems.Add(new FileProblem(file.FileName, FileProblemKind.UnrecognizedName, file.NameError, DbDamage.None, 0));
                continue;
            }

            FileProblem? problem = _loader.Load(file, pass);
            if (file.HasRemovals || file.RemovedKeys is not null)
            {
                // The sidecar is read afresh each time, so what it removes may have changed.
                file.MarkFamiliesChanged(_generation);
                file.RemovedKeys = file.HasRemovals ? RemovedKeysOf(file) : null;
            }

            if (problem is not null)
            {
                problems.Add(problem);
                if (problem.Kind == FileProblemKind.Vanished)
                {
                    (vanished ??= []).Add(file);
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

            filesRead++;
            if (problem is null && file.ChangedInCollection != _collections && file.Layout is not null && file.Count > 0
                && !file.HasRemovals && file.RemovedKeys is null && file.Identity != FileIdentity.Unknown)
            {
                _frozen.Offer(file, pass.Now);
            }
        }

        // Frozen files were read cleanly before and still hold what was read.
        filesRead += _frozen.Count;
        if (identities is not null)
        {
            foreach (FileState file in _frozen.Files)
            {
                identities[file.FileName] = file.Identity;
            }
        }
    }

    private void ReleaseAllKept()
    {
        foreach (FileState state in _files.Values)
        {
            _loader.Release(state);
        }
    }

    // The sidecar is tiny and present only after removals, so it is read afresh on every collection.
    private HashSet<ParsedKey>? RemovedKeysOf(FileState file)
    {
        HashSet<ParsedKey>? removed = null;
        foreach (byte[] key in DbRemovedKeys.Read(file.Path))
        {
            if (_keys.TryResolve(key, file.Name.Kind, out ParsedKey? parsed, out _))
            {
                (removed ??= []).Add(parsed!);
            }
        }

        return removed;
    }
}
