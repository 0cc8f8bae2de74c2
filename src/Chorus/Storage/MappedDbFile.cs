using System.IO.MemoryMappedFiles;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Storage;

/// <summary>
/// One <c>.db</c> file this process owns and writes, mapped shared read/write. Entries are appended under
/// the owner's lock and published by raising <c>used</c> last; values are then changed in place through
/// the pointers this class hands out.
/// </summary>
/// <remarks>
/// Growing maps a larger view and keeps every older one: a pointer handed out stays valid for the life of
/// the object, and all views see the same shared pages. The file is never shrunk, because another process
/// touching a mapped page past the new end would die (reference/dotnet-measurements.md §2).
/// Disk blocks are reserved before a region is written, so a full disk shows up as a failed append
/// (the caller degrades that series to memory) instead of SIGBUS. The file's change map
/// (<see cref="ChangeMapFile"/>) is opened, reserved and closed with it; each cell handed out carries its region's word.
/// </remarks>
internal sealed unsafe class MappedDbFile : IDisposable
{
    // Reserve space in 64 KiB steps: one system call per step, never per entry.
    private const long ReserveStep = 1 << 16;

    private readonly FileStream _stream;
    private readonly List<(MemoryMappedFile File, MemoryMappedViewAccessor View)> _views = [];
    private readonly Dictionary<byte[], int> _valueOffsets = new(ByteArrayComparer.Instance);
    private ChangeMapFile? _changes;
    private byte* _base;
    private long _capacity;
    private long _reservedEnd;
    private int _used;
    private bool _disposed;

    private MappedDbFile(string path, FileStream stream, ValueLayout layout)
    {
        Path = path;
        _stream = stream;
        Layout = layout;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The value layout entries are written in.</summary>
    public ValueLayout Layout { get; }

    /// <summary>Bytes in use, including the header.</summary>
    public int Used => _used;

    /// <summary>
    /// Opens or creates the file at <paramref name="path"/>. An existing file must already be known to be
    /// readable in <paramref name="layout"/> (see <see cref="ExistingFileCheck"/>); its entries are indexed
    /// so values continue from what is stored.
    /// </summary>
    /// <exception cref="IOException">The file cannot be created, sized or mapped.</exception>
    public static MappedDbFile Open(string path, ValueLayout layout)
    {
        if (!File.Exists(path))
        {
            CreateSized(path);
        }

        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        var file = new MappedDbFile(path, stream, layout);
        try
        {
            // Before the first value is touched: a reader must learn of this writer (its owner number) before its writes.
            file._changes = ChangeMapFile.TryOpen(path);
            file.Initialize();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds an entry for <paramref name="key"/> (an encoded key). The caller holds the owner's lock.</summary>
    public bool Contains(byte[] key) => _valueOffsets.ContainsKey(key);

    /// <summary>
    /// Returns the cell of the value of <paramref name="key"/>, appending a zeroed entry when the key is
    /// new. Returns a cell with a null address when the file cannot hold it (disk full, 2 GiB limit). The caller holds the owner's lock.
    /// </summary>
    /// <param name="key">The encoded key (<see cref="DbKey.Encode"/>).</param>
    /// <param name="error">Why the entry could not be added.</param>
    public ValueCell GetOrAdd(byte[] key, out string? error)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        error = null;
        if (_valueOffsets.TryGetValue(key, out int existing))
        {
            return CellAt(existing);
        }

        int size = DbFormat.EntrySize(key.Length, Layout);
        long end = (long)_used + size;
        if (end > DbFormat.MaxFileSize)
        {
            error = "the file would pass the format's 2 GiB limit";
            return default;
        }

        if (end > _capacity && !TryGrow(end, out error))
        {
            return default;
        }

        if (end > _reservedEnd && !TryReserve(end, out error))
        {
            return default;
        }

        // Room in the index before the entry is published: failing after it (out of memory), a retry would append the key
        // again, and a reader keeps the first of two.
        _valueOffsets.EnsureCapacity(_valueOffsets.Count + 1);
        DbFormat.WriteEntry(new Span<byte>(_base + _used, size), key, Layout);

        // Intentionally last: a reader that sees the new `used` must find the whole entry behind it.
        int valueOffset = _used + DbFormat.ValueOffset(key.Length);
        _used = (int)end;
        Volatile.Write(ref *(int*)_base, _used);
        _valueOffsets.Add(key, valueOffset);
        return CellAt(valueOffset);
    }

    /// <summary>
    /// Makes room at once for those of <paramref name="keys"/> the file does not hold yet, so that adding each of them
    /// (<see cref="GetOrAdd"/>) cannot fail part way; false, with the reason, when the file cannot take them all.
    /// </summary>
    public bool TryMakeRoomFor(ReadOnlySpan<byte[]> keys, out string? error)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        error = null;
        long end = _used;
        foreach (byte[] key in keys)
        {
            end += _valueOffsets.ContainsKey(key) ? 0 : DbFormat.EntrySize(key.Length, Layout);
        }

        if (end > DbFormat.MaxFileSize)
        {
            error = "the file would pass the format's 2 GiB limit";
            return false;
        }

        return (end <= _capacity || TryGrow(end, out error)) && (end <= _reservedEnd || TryReserve(end, out error));
    }

    private ValueCell CellAt(int valueOffset) => new((double*)(_base + valueOffset), _changes is { } changes ? changes.WordFor(valueOffset) : null);

    /// <summary>
    /// Closes the file handle but keeps the mappings, so pointers handed out stay valid: a child used after
    /// its registry was disposed writes into memory that still exists instead of crashing the process.
    /// The mappings are released when the process ends.
    /// </summary>
    public void Detach()
    {
        _disposed = true;
        _changes?.Detach();
        _stream.Dispose();
    }

    /// <summary>Releases the mappings and the file handle. Pointers handed out become invalid.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach ((MemoryMappedFile mapped, MemoryMappedViewAccessor view) in _views)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            mapped.Dispose();
        }

        _views.Clear();
        _changes?.Dispose();
        _stream.Dispose();
    }

    // A reader must never see the new file empty or without its header (prometheus_client's collector fails
    // on a 0-byte file, client_python #1199): size it under a temporary name, then rename it into place.
    private static void CreateSized(string path)
    {
        string temporary = StartupFileNames.Sizing(path, Environment.ProcessId);
        using (FileStream stream = RegularFile.CreateNew(temporary, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            stream.SetLength(DbFormat.InitialCapacity);
            Span<byte> header = stackalloc byte[DbFormat.HeaderSize];
            header.Clear();
            DbFormat.WriteUsed(header, DbFormat.HeaderSize);
            stream.Write(header);
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Someone else's file appeared meanwhile; open that one instead.
            File.Delete(temporary);
        }
    }

    private void Initialize()
    {
        long length = _stream.Length;
        if (length < DbFormat.HeaderSize)
        {
            // A fresh (or empty) file: nothing to keep. Python sizes new files the same way.
            _stream.SetLength(DbFormat.InitialCapacity);
            length = DbFormat.InitialCapacity;
        }

        Map(length);
        int used = Volatile.Read(ref *(int*)_base);
        if (used < DbFormat.HeaderSize)
        {
            used = DbFormat.HeaderSize;
        }

        var reader = new DbEntryReader(new ReadOnlySpan<byte>(_base, (int)Math.Min(length, int.MaxValue)), Layout, used);
        while (reader.TryReadNext(out DbEntry entry))
        {
            byte[] key = new ReadOnlySpan<byte>(_base + entry.KeyOffset, entry.KeyLength).ToArray();
            _valueOffsets.TryAdd(key, entry.ValueOffset);
        }

        if (reader.Damage.IsDamaged)
        {
            throw new InvalidDataException($"'{Path}' is damaged at offset {reader.Damage.Offset}: {reader.Damage.Detail}");
        }

        _used = used;
        if (!TryReserve(Math.Max(used, DbFormat.HeaderSize), out string? error))
        {
            throw new IOException($"Cannot reserve disk space for '{Path}': {error}");
        }

        Volatile.Write(ref *(int*)_base, _used);
    }

    private bool TryGrow(long needed, out string? error)
    {
        long capacity = _capacity;
        while (capacity < needed)
        {
            capacity *= 2;
        }

        capacity = Math.Min(capacity, DbFormat.MaxFileSize);
        try
        {
            _stream.SetLength(capacity);
            Map(capacity);
            error = null;
            return true;
        }
        catch (IOException e)
        {
            error = e.Message;
            return false;
        }
    }

    private bool TryReserve(long needed, out string? error)
    {
        long end = Math.Min(_capacity, ((needed + ReserveStep - 1) / ReserveStep) * ReserveStep);
        int errno = DiskSpace.TryReserve(_stream.SafeFileHandle, Path, _reservedEnd, end - _reservedEnd);
        if (errno == 0 && _changes is { } changes)
        {
            errno = changes.TryReserve(end);
        }

        if (errno != 0)
        {
            error = DiskSpace.Describe(errno);
            return false;
        }

        _reservedEnd = end;
        error = null;
        return true;
    }

    private void Map(long capacity)
    {
        var mapped = MemoryMappedFile.CreateFromFile(_stream, mapName: null, capacity, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        MemoryMappedViewAccessor view;
        try
        {
            view = mapped.CreateViewAccessor(0, capacity, MemoryMappedFileAccess.ReadWrite);
        }
        catch
        {
            mapped.Dispose();
            throw;
        }

        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);

        // Older views stay mapped on purpose: values handed out point into them.
        _views.Add((mapped, view));
        _base = pointer + view.PointerOffset;
        _capacity = capacity;
    }
}
