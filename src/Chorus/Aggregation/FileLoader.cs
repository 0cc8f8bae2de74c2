using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Reads one file with positional reads into a pooled buffer (first page, then the rest up to <c>used</c>),
/// parses only entries it has not parsed before and copies every entry's value into the file's state.
/// Files seen again are kept open and mapped (<see cref="KeptFile"/>) within <see cref="KeptBudget"/>.
/// Never throws for bad content or I/O trouble: it reports a <see cref="FileProblem"/> instead.
/// </summary>
internal sealed partial class FileLoader(KeyTable keys, int keptBudget, long keptIdleMilliseconds) : IDisposable
{
    // Without a better guess: covers header and all entries of a typical file (prometheus_client's files
    // grow in 1 MiB steps but usually use a few KiB), so a cold file costs one read instead of two.
    private const int FirstRead = 16384;
    private const int MinimumRead = 4096;
    private const int HintSlack = 1024;
    private const int ProbeEntries = 8;

    private readonly FileState?[] _lastParsed = new FileState?[4];
    private byte[] _buffer = ReadBuffers.Rent(1 << 16);
    private ColdReadAhead? _readAhead;

    /// <summary>How many files may be kept open and mapped at once (0: never).</summary>
    public int KeptBudget { get; private set; } = keptBudget;

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
            if (pass.Now - file.LastChanged > keptIdleMilliseconds)
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

    /// <summary>Reads <paramref name="file"/> through its mapping or by path, keeping it when worth it.</summary>
    private FileProblem? Read(FileState file, bool readBefore, CollectionPass pass)
    {
        if (file.Kept is { } kept)
        {
            if (TryLoadKept(file, kept, pass, out FileProblem? problem))
            {
                if (pass.Now - file.LastChanged > keptIdleMilliseconds)
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
    private FileProblem? ReadByPath(FileState file, bool readBefore, CollectionPass pass)
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
            FileProblem? problem = Load(file, handle, pass, out long length);
            keep = problem is null && readBefore && pass.Now - file.LastChanged <= keptIdleMilliseconds
                && KeptCount < KeptBudget && file.Identity != FileIdentity.Unknown && file.Count > 0;
            if (keep && KeptFile.TryCreate(handle, file.ParsedUpTo, length) is { } created)
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
    public bool WouldKeep(FileState file, long now) => KeptBudget > 0 && now - file.LastChanged <= keptIdleMilliseconds;

    /// <summary>How much to read first of a file never read before, given what the last file of its kind used (0: none yet).</summary>
    public static int FirstReadSize(int usedBefore) =>
        Math.Max(MinimumRead, usedBefore > DbFormat.HeaderSize ? usedBefore + HintSlack : FirstRead);

    /// <summary>Lets a kept file go when it has not changed for longer than the idle timeout (frozen files are not loaded).</summary>
    public void ReleaseIfIdle(FileState file, long now)
    {
        if (file.Kept is not null && now - file.LastChanged > keptIdleMilliseconds)
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

    public void Dispose()
    {
        ReadBuffers.Return(_buffer);
        _buffer = [];
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

    private bool TryLoadKept(FileState file, KeptFile kept, CollectionPass pass, out FileProblem? problem)
    {
        problem = null;
        if (!kept.IsCurrent(file.Identity, out long length))
        {
            // Deleted, replaced by a rename, or shrunk: read it by path again.
            return false;
        }

        int used = DbFormat.ReadUsed(kept.Bytes(DbFormat.HeaderSize));
        if (used > kept.MappedLength && (used > length || !kept.TryRemap(used, length)))
        {
            return false;
        }

        problem = Process(file, kept.Bytes(Math.Max(used, DbFormat.HeaderSize)), used, pass);
        return problem is null;
    }

    private FileProblem? Load(FileState file, SafeFileHandle handle, CollectionPass pass, out long length)
    {
        FileIdentity identity = FileIdentity.Of(handle, out length, out _, out bool regular);
        if (!regular)
        {
            file.Reset();
            return new FileProblem(file.FileName, FileProblemKind.Unreadable, "not a regular file (a FIFO, socket or device)", DbDamage.None, 0);
        }

        if (identity != file.Identity)
        {
            // Another file under the same name (replaced): nothing parsed before applies.
            file.Reset();
            file.Identity = identity;
        }

        // A known file is read in one call: up to its last used length, which covers it unless it grew.
        // A new file is read as far as the last file of its kind used: processes of one application write the
        // same keys, so that one read usually covers header and body (histogram files use ~40 KiB).
        // The kernel copies all that is asked for (files are sized in 1 MiB steps), so ask for little more than that.
        int read = PositionalRead.ReadInto(handle, ref _buffer, 0, file.ParsedUpTo > DbFormat.HeaderSize
            ? Math.Max(MinimumRead, file.ParsedUpTo)
            : FirstReadSize(_lastParsed[(int)file.Name.Kind]?.ParsedUpTo ?? 0));
        if (read < DbFormat.HeaderSize)
        {
            file.Reset();
            return Damaged(file, new DbDamage(DbDamageKind.ShorterThanHeader, 0, $"file is {read} bytes, shorter than the 8-byte header"));
        }

        int used = DbFormat.ReadUsed(_buffer);
        if (used > read)
        {
            if (length >= 0 && used > length)
            {
                // The file may have grown since it was measured: measure again before calling it damaged.
                FileIdentity.Of(handle, out length);
            }

            // Read at most what the file holds, so a lying header cannot make the buffer huge.
            int limit = length >= 0 ? (int)Math.Min(used, length) : used;
            read += PositionalRead.ReadInto(handle, ref _buffer, read, limit - read);
        }

        pass.CountRead(read);
        return Process(file, _buffer.AsSpan(0, read), used, pass);
    }
}
