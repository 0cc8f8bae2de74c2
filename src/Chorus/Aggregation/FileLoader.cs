using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Loads one file: its bytes read by path, read ahead or mapped (<see cref="FileBytes"/>), its entries not parsed before
/// parsed and every entry's value copied into the file's state (<see cref="EntryParsing"/>).
/// Files seen again are kept open and mapped (<see cref="KeptFile"/>) within <see cref="KeptBudget"/>.
/// Never throws for bad content or I/O trouble: it reports a <see cref="FileProblem"/> instead.
/// </summary>
internal sealed partial class FileLoader : IDisposable
{
    private readonly long _keptIdleMilliseconds;
    private readonly EntryParsing _entries;
    private readonly FileBytes _bytes;
    private readonly KeptFileDisposal _givenUp = new();
    private ColdReadAhead? _readAhead;

    /// <summary>
    /// Creates a loader resolving keys in <paramref name="keys"/>, keeping up to <paramref name="keptBudget"/> files open and
    /// mapped until idle for <paramref name="keptIdleMilliseconds"/>; <paramref name="beforeDamagedFileReread"/>: see <see cref="FileBytes"/>.
    /// </summary>
    public FileLoader(KeyTable keys, int keptBudget, long keptIdleMilliseconds, Action<string>? beforeDamagedFileReread = null)
    {
        KeptBudget = keptBudget;
        _keptIdleMilliseconds = keptIdleMilliseconds;
        _entries = new EntryParsing(keys, ParseWalkedEntries);
        _bytes = new FileBytes(_entries, beforeDamagedFileReread);
    }

    /// <summary>How many files may be kept open and mapped at once (0: never).</summary>
    public int KeptBudget { get; private set; }

    /// <summary>Files currently kept open and mapped.</summary>
    public int KeptCount { get; private set; }

    /// <summary>
    /// Refreshes <paramref name="file"/>. Returns the problem, or null when it was read cleanly. Unless the file was
    /// refreshed ahead in this pass, every family it held before or holds after is marked changed.
    /// </summary>
    public FileProblem? Load(FileState file, CollectionPass pass)
    {
        bool readBefore = file.LastCollection != 0 && file.LastCollection != pass.Collection;
        file.LastCollection = pass.Collection;
        if (file.Refreshed == pass.Generation && file.Kept is null && file.LastChanged != pass.Now)
        {
            // Read by TryRefreshIdle in this pass and still idle. (One whose values just changed is read again
            // below, so it is kept as the path read would keep it.)
            return null;
        }

        if (file.Refreshed == pass.Generation && file.Kept is not null)
        {
            // Done by TryRefreshKept in this pass; only the bookkeeping that touches shared state is left.
            if (pass.Now - file.LastChanged > _keptIdleMilliseconds)
            {
                Release(file);
            }

            return null;
        }

        pass.FullReads++;
        file.MarkFamiliesChanged(pass.Generation);
        FileProblem? problem = Read(file, readBefore, pass);
        file.MarkFamiliesChanged(pass.Generation);
        return problem;
    }

    /// <summary>
    /// Reads <paramref name="file"/>, and once more, header first, when it looked damaged: one read of the header and the
    /// entries together may copy them out of order, showing the newest entry zeroed under a header that counts it
    /// (docs/architecture.md, "Torn reads"). What still looks damaged then is damaged.
    /// </summary>
    private FileProblem? Read(FileState file, bool readBefore, CollectionPass pass)
    {
        FileProblem? problem = ReadOnce(file, readBefore, pass);
        if (problem is not { Kind: FileProblemKind.Damaged })
        {
            return problem;
        }

        Release(file);
        return ReadByPath(file, readBefore, pass, headerFirst: true);
    }

    /// <summary>Reads <paramref name="file"/> through its mapping or by path, keeping it when worth it.</summary>
    private FileProblem? ReadOnce(FileState file, bool readBefore, CollectionPass pass)
    {
        if (file.Kept is { } kept)
        {
            if (_bytes.TryLoadKept(file, kept, pass, out FileProblem? problem))
            {
                if (pass.Now - file.LastChanged > _keptIdleMilliseconds)
                {
                    // Idle files are let go: a dead writer's file must not look held open to compaction's liveness check.
                    Release(file);
                }

                return problem;
            }

            Release(file);
        }

        if (ReadAhead?.Take(file) is { } slot)
        {
            try
            {
                return LoadRead(file, slot, pass);
            }
            finally
            {
                ReadAhead.Return();
            }
        }

        return ReadByPath(file, readBefore, pass);
    }

    /// <summary>Opens <paramref name="file"/> by path and reads it, keeping it open and mapped when it was read before and is not idle.</summary>
    private FileProblem? ReadByPath(FileState file, bool readBefore, CollectionPass pass, bool headerFirst = false)
    {
        SafeFileHandle handle;
        try
        {
            handle = Open(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            file.Reset();
            return new FileProblem(file.FileName, FileProblemKind.Vanished, "the file disappeared between listing and reading", DbDamage.None, 0);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            file.Reset();
            return new FileProblem(file.FileName, FileProblemKind.Unreadable, e is UnauthorizedAccessException ? "permission denied" : e.Message, DbDamage.None, 0);
        }

        bool keep = false;
        try
        {
            FileProblem? problem = _bytes.Load(file, handle, pass, out long length, headerFirst);

            // A file that appears after the first collection most likely has a live writer: kept from its first read.
            keep = problem is null && (readBefore || pass.Collection > 1) && pass.Now - file.LastChanged <= _keptIdleMilliseconds
                && file.Identity != FileIdentity.Unknown && file.Count > 0 && HasKeptRoom();
            if (keep && KeptFile.TryCreate(handle, file.ParsedUpTo, length, file.Identity) is { } created)
            {
                file.Kept = created;
                KeptCount++;
            }
            else
            {
                keep = false;
            }

            return problem;
        }
        catch (IOException e)
        {
            file.Reset();
            return new FileProblem(file.FileName, FileProblemKind.Unreadable, e.Message, DbDamage.None, 0);
        }
        finally
        {
            if (!keep)
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>Files read ahead on another thread during a cold pass (null: read each file here).</summary>
    public ColdReadAhead? ReadAhead
    {
        get => _readAhead;
        set
        {
            _readAhead = value;

            // The references (copies of a file of each kind) are compared within one cold pass only.
            Array.Clear(_coldModels);
        }
    }

    /// <summary>Whether <paramref name="file"/> would be kept open and mapped if read now (keeping is on and it is not idle).</summary>
    public bool WouldKeep(FileState file, long now) => KeptBudget > 0 && now - file.LastChanged <= _keptIdleMilliseconds;

    /// <summary>Lets a kept file go when it has not changed for longer than the idle timeout (frozen files are not loaded).</summary>
    public void ReleaseIfIdle(FileState file, long now)
    {
        if (file.Kept is not null && now - file.LastChanged > _keptIdleMilliseconds)
        {
            Release(file);
        }
    }

    /// <summary>Unmaps and closes a kept file.</summary>
    public void Release(FileState file)
    {
        if (file.Kept is { } kept)
        {
            kept.Dispose();
            file.Kept = null;
            KeptCount--;
        }
    }

    /// <summary>Unmaps and closes the kept files given up by the collection just done, off its thread.</summary>
    public void DisposeGivenUp() => _givenUp.Start();

    /// <summary>Ends a collection: lets go of a large read buffer no file needed in it (<see cref="FileBytes.EndCollection"/>).</summary>
    public void EndCollection() => _bytes.EndCollection();

    /// <summary>The length of the buffer files are read into by path (for tests).</summary>
    internal int ReadBufferLength => _bytes.BufferLength;

    public void Dispose()
    {
        _givenUp.Dispose();
        _bytes.Dispose();
    }

    private SafeFileHandle Open(FileState file)
    {
        try
        {
            return ReadOnlyOpen.Open(file.Path);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && KeptCount > 0)
        {
            // Most likely out of descriptors (EMFILE): stop keeping files and give this one the room.
            KeptBudget = KeptCount / 2;
            ReleaseAll?.Invoke();
            return ReadOnlyOpen.Open(file.Path);
        }
    }

    /// <summary>Set by the owner: releases every kept file (when descriptors run out).</summary>
    public Action? ReleaseAll { get; set; }

    /// <summary>Set by the owner: a kept file that no longer needs it (a frozen one), to give up when the budget is full; null when none.</summary>
    public Func<FileState?>? MakeKeptRoom { get; set; }

    private bool HasKeptRoom()
    {
        if (KeptCount < KeptBudget)
        {
            return true;
        }

        if (KeptBudget == 0 || MakeKeptRoom?.Invoke() is not { Kept: { } kept } file)
        {
            return false;
        }

        // Given up at once for this reader; unmapped and closed after the collection (DisposeGivenUp).
        _givenUp.Add(kept);
        file.Kept = null;
        KeptCount--;
        return KeptCount < KeptBudget;
    }
}
