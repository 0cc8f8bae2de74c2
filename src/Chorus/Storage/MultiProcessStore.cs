using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Storage;

/// <summary>
/// Values in prometheus_client-format <c>.db</c> files in a shared directory: one file per type (and gauge
/// mode) for this process's identity. Opening a store takes the identity for the life of the store.
/// </summary>
internal sealed unsafe class MultiProcessStore : IValueStore
{
    private readonly Lock _lock = new();
    private readonly IdentityLease _lease;
    private readonly Dictionary<(DbFileKind, GaugeMode), OwnedFile> _files = [];
    private readonly SlabStore _fallback = new();
    private readonly List<string> _notes = [];

    // Files that could not be opened, with when and why: tried again at most once a minute (a try reads an old file whole
    // to check its layout, under the lock every new series takes), and reported again only for another reason.
    private readonly Dictionary<(DbFileKind Kind, GaugeMode Mode), (long At, string Reason)> _unopened = [];
    private const long RetryOpenMilliseconds = 60_000;
    private bool _disposed;

    private MultiProcessStore(string directory, ValueLayout layout, IdentityLease lease)
    {
        Directory = directory;
        Layout = layout;
        _lease = lease;
    }

    /// <summary>The directory the files are in.</summary>
    public string Directory { get; }

    /// <summary>The layout written.</summary>
    public ValueLayout Layout { get; }

    /// <summary>The identity in file names.</summary>
    public string Identity => _lease.Id;

    /// <summary>The lock file held for the identity, if any.</summary>
    public string? LockPath => _lease.LockPath;

    /// <inheritdoc />
    public bool IsMultiProcess => true;

    /// <inheritdoc />
    public bool HasTimestamps => Layout == ValueLayout.ValueAndTimestamp16;

    /// <summary>Things found and fixed while opening files (files moved aside, degraded series).</summary>
    public IReadOnlyList<string> Notes
    {
        get
        {
            lock (_lock)
            {
                return [.. _notes];
            }
        }
    }

    /// <summary>Checks the directory and takes an identity in it.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    /// <exception cref="InvalidOperationException">No identity could be taken.</exception>
    public static MultiProcessStore Open(ChorusOptions options)
    {
        string directory = options.Directory ?? throw new ArgumentException("A multiprocess store needs a directory.", nameof(options));
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"The multiprocess directory '{directory}' does not exist. Create it before the application starts (mkdir -p), or unset {ChorusOptions.DirectoryVariable} to keep metrics in memory.");
        }

        directory = Path.GetFullPath(directory);
        CheckWritable(directory);
        if (options.ValueLayout is not (ValueLayout.Value8 or ValueLayout.ValueAndTimestamp16))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ValueLayout, "ValueLayout must be Value8 or ValueAndTimestamp16.");
        }

        IdentityLease lease;
        try
        {
            lease = IdentityLease.Acquire(directory, options);
        }
        catch (IOException e)
        {
            throw new UnauthorizedAccessException($"Cannot create lock files in '{directory}': {e.Message} Make the directory writable for this user.", e);
        }

        var store = new MultiProcessStore(directory, options.ValueLayout, lease);
        if (lease.LockPath is not null)
        {
            // The identity came from a dead owner (or was never used): its files are ours to rewrite before we open them.
            try
            {
                SlotFileRewrite.Run(directory, lease.Id, options.ValueLayout, options.SlotRewriteHook, store._notes);
            }
            catch
            {
                store.Dispose();
                throw;
            }
        }

        return store;
    }

    /// <inheritdoc />
    public ValueCell Allocate(in SeriesKey key)
    {
        byte[] encoded = key.Encode();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            OwnedFile? file = GetFile(key.Kind, key.Mode);
            return file is null ? InMemory() : AllocateIn(file, encoded);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// A child split between its file and memory by a full disk would show readers a <c>_sum</c> that counts observations
    /// its buckets and <c>_count</c> miss, or no <c>+Inf</c> bucket, for as long as the process lives: room for every new
    /// entry is made first, and when there is none, the whole child lives in memory.
    /// </remarks>
    public void AllocateAll(ReadOnlySpan<SeriesKey> keys, Span<ValueCell> cells)
    {
        var encoded = new byte[keys.Length][];
        for (int i = 0; i < keys.Length; i++)
        {
            encoded[i] = keys[i].Encode();
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            OwnedFile? file = keys.IsEmpty ? null : GetFile(keys[0].Kind, keys[0].Mode);
            if (file is not null && !file.Data.TryMakeRoomFor(encoded, out string? error))
            {
                file.ReportDegraded(error ?? "unknown error", _notes);
                file = null;
            }

            for (int i = 0; i < keys.Length; i++)
            {
                cells[i] = file is not null ? AllocateIn(file, encoded[i]) : InMemory();
            }
        }
    }

    private ValueCell InMemory() => new(_fallback.AllocateCell(), null);

    /// <summary>The cell of <paramref name="encoded"/> in <paramref name="file"/>, added when new; in memory when the file cannot take it. Called under the lock.</summary>
    private ValueCell AllocateIn(OwnedFile file, byte[] encoded)
    {
        ValueCell cell = file.Data.GetOrAdd(encoded, out string? error);
        if (cell.Address is null)
        {
            file.ReportDegraded(error ?? "unknown error", _notes);
            return InMemory();
        }

        if (file.Removed.Remove(encoded))
        {
            // A series created again after removal starts from zero; zero it before it reappears.
            if (HasTimestamps)
            {
                cell.Set(0, 0);
            }
            else
            {
                cell.Set(0);
            }

            file.SaveRemoved();
        }
        else if (file.DroppedByRewrite.Remove(encoded))
        {
            // A series the dead owner removed, made again: the sidecar still lists it for readers of the file before the
            // rewrite, and would hide it from Chorus's readers (Python's show it) until this owner saved removals.
            file.SaveRemoved();
        }

        return cell;
    }

    /// <inheritdoc />
    public void Release(ReadOnlySpan<SeriesKey> keys)
    {
        if (keys.IsEmpty)
        {
            return;
        }

        byte[][] encoded = new byte[keys.Length][];
        for (int i = 0; i < keys.Length; i++)
        {
            encoded[i] = keys[i].Encode();
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            HashSet<OwnedFile> changed = [];
            for (int i = 0; i < keys.Length; i++)
            {
                if (_files.TryGetValue((keys[i].Kind, NormalizeMode(keys[i])), out OwnedFile? file) && file.Removed.Add(encoded[i]))
                {
                    changed.Add(file);
                }
            }

            foreach (OwnedFile file in changed)
            {
                file.SaveRemoved();
            }
        }
    }

    /// <summary>Releases the identity and the file handles; mappings stay so stale children cannot crash the process.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (OwnedFile file in _files.Values)
            {
                file.Data.Detach();
            }

            _files.Clear();
            _lease.Dispose();
        }
    }

    private static GaugeMode NormalizeMode(in SeriesKey key) => key.Kind == DbFileKind.Gauge ? key.Mode : GaugeMode.All;

    private static void CheckWritable(string directory)
    {
        string probe = Path.Combine(directory, StartupFileNames.WriteCheck(Environment.ProcessId, Environment.CurrentManagedThreadId));
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnauthorizedAccessException($"The multiprocess directory '{directory}' is not writable: {e.Message} Give this user write access or point {ChorusOptions.DirectoryVariable} elsewhere.", e);
        }
    }

    private OwnedFile? GetFile(DbFileKind kind, GaugeMode mode)
    {
        mode = kind == DbFileKind.Gauge ? mode : GaugeMode.All;
        if (_files.TryGetValue((kind, mode), out OwnedFile? file))
        {
            return file;
        }

        long now = Environment.TickCount64;
        bool triedBefore = _unopened.TryGetValue((kind, mode), out (long At, string Reason) failed);
        if (triedBefore && now - failed.At < RetryOpenMilliseconds)
        {
            return null;
        }

        var name = new DbFileName(kind, kind == DbFileKind.Gauge ? mode : null, _lease.Id);
        string path = Path.Combine(Directory, name.ToString());
        try
        {
            if (ExistingFileCheck.MoveAsideIfForeign(path, name, Layout) is { } note)
            {
                _notes.Add(note);
            }

            file = new OwnedFile(MappedDbFile.Open(path, Layout));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // The application keeps running; series of this file live in memory only.
            if (!triedBefore || failed.Reason != e.Message)
            {
                ChorusEventSource.Log.StorageDegraded(path, e.Message);
                _notes.Add($"cannot open '{path}': {e.Message}");
            }

            _unopened[(kind, mode)] = (now, e.Message);
            return null;
        }

        _unopened.Remove((kind, mode));
        _files.Add((kind, mode), file);
        return file;
    }

    private sealed class OwnedFile
    {
        private bool _degradedReported;

        public OwnedFile(MappedDbFile data)
        {
            Data = data;
            RemovedKeyList listed = DbRemovedKeys.Read(data.Path);

            // A list naming the file a rewrite replaced removes nothing from this one (the owner holds the slot: no one
            // replaces the file under it).
            bool ours = NativeFile.TryGetId(data.Path) is not { } id || listed.AppliesTo(id.Inode);
            Removed = new(ours ? listed.Where(data.Contains) : [], ByteArrayComparer.Instance);
            DroppedByRewrite = new(listed.Where(key => !data.Contains(key)), ByteArrayComparer.Instance);
        }

        public MappedDbFile Data { get; }

        /// <summary>Keys removed from the file: the sidecar lists them, so readers leave their entries out.</summary>
        public HashSet<byte[]> Removed { get; }

        /// <summary>
        /// Keys the sidecar lists that are in no file now: a handover rewrite dropped them, and kept them listed for readers
        /// still on the file before it. The next save forgets them.
        /// </summary>
        public HashSet<byte[]> DroppedByRewrite { get; }

        public void SaveRemoved()
        {
            DroppedByRewrite.Clear();
            try
            {
                DbRemovedKeys.Write(Data.Path, Removed);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ChorusEventSource.Log.StorageDegraded(DbRemovedKeys.PathFor(Data.Path), e.Message);
            }
        }

        public void ReportDegraded(string error, List<string> notes)
        {
            if (_degradedReported)
            {
                return;
            }

            _degradedReported = true;
            notes.Add($"cannot extend '{Data.Path}': {error}");
            ChorusEventSource.Log.StorageDegraded(Data.Path, error);
        }
    }
}
