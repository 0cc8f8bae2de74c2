using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// A file kept open and mapped read-only between collections (the part that holds data), so a warm collection
/// reads it with one <c>fstat</c> (or an <c>lseek</c> when the directory's names did not change) and plain memory
/// reads instead of open, read and close. Created only for files seen by a previous collection (a one-shot scrape
/// never maps), within a budget of descriptors and mappings.
/// </summary>
/// <remarks>
/// Reading a mapping past the end of its file raises SIGBUS. Writers only ever grow these files, and
/// every collection checks the size before touching the mapping and drops it when the file shrank below
/// it, so only a truncation in the microseconds between that check and the read could hurt.
/// </remarks>
internal sealed unsafe partial class KeptFile : IDisposable
{
    private const int ProtectRead = 1;
    private const int MapShared = 1;

    // A file without a change map is asked again this often: a Chorus writer may take it over and start one.
    private const long ChangeMapRetryMilliseconds = 10_000;

    // As often while the directory watch shows no sidecar created: it is still asked now and then, since the watch sees
    // a sidecar's name appear before its writer has made it readable, and a full listing clears what the watch saw.
    private const long QuietChangeMapRetryMilliseconds = 60_000;

    private readonly SafeFileHandle _handle;
    private byte* _pointer;
    private ChangeMapWatch? _changes;
    private long? _lastChangeMapTry;

    private KeptFile(SafeFileHandle handle, FileIdentity identity)
    {
        _handle = handle;
        Identity = identity;
    }

    /// <summary>The open descriptor (read-only), for a lease probe that must not open the file again.</summary>
    public SafeFileHandle Handle => _handle;

    /// <summary>Which file the descriptor is (a descriptor never changes file, whatever happens to its name).</summary>
    public FileIdentity Identity { get; }

    /// <summary>Bytes mapped (the file's size when mapped).</summary>
    public long MappedLength { get; private set; }

    /// <summary>
    /// Maps the part of an open file that holds data (<paramref name="used"/> bytes, rounded up, plus a page for
    /// growth; at most <paramref name="length"/>); takes ownership of the handle on success. <paramref name="identity"/>
    /// is the handle's, as <c>fstat</c> gave it.
    /// </summary>
    public static KeptFile? TryCreate(SafeFileHandle handle, int used, long length, FileIdentity identity)
    {
        var kept = new KeptFile(handle, identity);
        if (kept.TryMap(MappingLength(used, length)))
        {
            return kept;
        }

        kept.Unmap();
        return null;
    }

    /// <summary>Checks the file is still the one mapped (same identity, still linked, not shrunk).</summary>
    public bool IsCurrent(FileIdentity identity, out long length)
    {
        FileIdentity now = FileIdentity.Of(_handle, out length, out long links);
        return now == identity && links != 0 && length >= MappedLength;
    }

    /// <summary>Maps the file again, for <paramref name="used"/> bytes that no longer fit the mapping.</summary>
    public bool TryRemap(int used, long length)
    {
        Unmap();
        return TryMap(MappingLength(used, length));
    }

    /// <summary>
    /// prometheus_client sizes files in 1 MiB steps and uses a few KiB of them. Mapping only what is used keeps the
    /// kernel's fault-around (which maps up to 16 pages around each page read) inside the data, so a reader of
    /// 10,000 files holds tens of MiB of file pages instead of hundreds.
    /// </summary>
    private static long MappingLength(int used, long length)
    {
        long page = Environment.SystemPageSize;
        long wanted = ((Math.Max(used, DbFormat.HeaderSize) + page - 1) / page * page) + page;
        return Math.Min(length, wanted);
    }

    /// <summary>
    /// Checks only that the file did not shrink below the mapping, by seeking to its end: for when the directory's
    /// names have not changed since the identity was last checked (a replaced or deleted file changes them), so
    /// only a truncation in place is left to catch. Cheaper than <c>fstat</c>, which runs security hooks.
    /// </summary>
    public bool IsLongEnough()
    {
        if (!OperatingSystem.IsLinux())
        {
            return RandomAccess.GetLength(_handle) >= MappedLength;
        }

        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            return Libc.Lseek((int)_handle.DangerousGetHandle(), 0, SeekEnd) >= MappedLength;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// The change map of this file (at <paramref name="path"/>), opened when first asked for; null while there is none.
    /// Asked again as <paramref name="lookup"/> says: at once when the directory watch saw the sidecar's name, every
    /// <see cref="ChangeMapRetryMilliseconds"/> when nothing is known, every <see cref="QuietChangeMapRetryMilliseconds"/>
    /// while the watch saw no such name (an <c>open</c> that fails costs a few microseconds per file, which a warm scrape
    /// of a few live files notices). It lives as long as this mapping: a file replaced under the name gets a new kept
    /// file, and its map is taken afresh.
    /// </summary>
    public ChangeMapWatch? ChangeMap(string path, long now, ChangeMapLookup lookup)
    {
        if (_changes is null && (_lastChangeMapTry is not { } last || lookup == ChangeMapLookup.Now
            || now - last >= (lookup == ChangeMapLookup.Skip ? QuietChangeMapRetryMilliseconds : ChangeMapRetryMilliseconds)))
        {
            _changes = ChangeMapWatch.TryOpen(path);
            _lastChangeMapTry = now;
        }

        return _changes;
    }

    /// <summary>
    /// The file's <c>used</c> header, read before anything after it: writers publish an entry by raising <c>used</c> after
    /// writing it, so every entry below the value read here is whole.
    /// </summary>
    public int ReadUsed() => MappedLength < DbFormat.HeaderSize ? 0 : Volatile.Read(ref *(int*)_pointer);

    /// <summary>The mapped bytes from offset 0, at most <paramref name="count"/>.</summary>
    public ReadOnlySpan<byte> Bytes(long count) => new(_pointer, (int)Math.Min(count, MappedLength));

    // The mapping is the process's own memory, not a handle the runtime finalizes: a reader dropped without Dispose must not leak it.
    ~KeptFile() => Unmap();

    public void Dispose()
    {
        Unmap();
        _changes?.Dispose();
        _handle.Dispose();
        GC.SuppressFinalize(this);
    }

    private const int SeekEnd = 2;

    private bool TryMap(long length)
    {
        if (length < DbFormat.HeaderSize || length > DbFormat.MaxFileSize)
        {
            return false;
        }

        // One mmap call (files are kept on Linux only, see KeptFileBudget): MemoryMappedFile adds an fstat, an madvise and
        // four objects per file, and a file appears and is let go of on every worker's restart.
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            byte* pointer = (byte*)Libc.Mmap(null, (nuint)length, ProtectRead, MapShared, (int)_handle.DangerousGetHandle(), 0);
            if (pointer == (byte*)-1)
            {
                return false;
            }

            _pointer = pointer;
            MappedLength = length;
            return true;
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private void Unmap()
    {
        if (_pointer is not null)
        {
            _ = Libc.Munmap(_pointer, (nuint)MappedLength);
            _pointer = null;
        }

        MappedLength = 0;
    }
}
