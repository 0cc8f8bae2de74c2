using System.Runtime.InteropServices;
using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Storage;

/// <summary>
/// The change map a writer keeps beside a <c>.db</c> file it owns (<see cref="ChangeMapFormat"/>, docs/change-map.md):
/// mapped shared read/write for the life of the file, with an exclusive <c>flock</c> that tells readers a writer that
/// bumps words is alive.
/// </summary>
/// <remarks>
/// The owner number is drawn and written before the lock is taken and before any value is written: a reader that finds
/// the lock held with the owner number it saw last knows every write since then went through the words. Whatever
/// wrote the <c>.db</c> file in between (a prometheus_client process reusing it keeps no map) happened while the lock
/// was free or under another owner number, and a reader reads the whole file then.
/// </remarks>
internal sealed unsafe class ChangeMapFile : IDisposable
{
    private const int ModeRwRR = 0x1A4; // 0644
    private const long PageBytes = 4096;

    // A reader's liveness probe holds the lock shared for a moment; a few tries 1 ms apart get past one.
    private const int LockTries = 20;

    private readonly SafeFileHandle _handle;
    private byte* _base;
    private long _reservedEnd = PageBytes;
    private bool _closed;

    private ChangeMapFile(string path, SafeFileHandle handle, byte* pointer)
    {
        Path = path;
        _handle = handle;
        _base = pointer;
    }

    /// <summary>The map's path.</summary>
    public string Path { get; }

    /// <summary>Whether this writer holds the map's lock (false when another live writer of the same file does).</summary>
    public bool IsOwner { get; private set; }

    /// <summary>
    /// Opens or creates the map of the <c>.db</c> file at <paramref name="dbPath"/>, takes it over and locks it. Returns
    /// null when no map can be kept (not Linux, no space, a map of another version): the writer then records without one,
    /// and readers, finding no locked map, read its file whole as always.
    /// </summary>
    /// <remarks>
    /// Opened with open(2), not a <see cref="FileStream"/>: .NET takes a shared flock on every file it opens with
    /// <see cref="FileShare"/> other than None, which would fail against another writer's exclusive lock (leaving this
    /// writer without words while readers trust the map) and would hold the lock in a way this class cannot drop.
    /// </remarks>
    public static ChangeMapFile? TryOpen(string dbPath)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        string path = ChangeMapFormat.PathFor(dbPath);
        int fd = Libc.Open(path, LinuxOpenFlags.ReadWrite | LinuxOpenFlags.Create | LinuxOpenFlags.CloseOnExec | LinuxOpenFlags.NoFollow, ModeRwRR);
        if (fd < 0)
        {
            ChorusEventSource.Log.StorageDegraded(path, Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            return null;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (RandomAccess.GetLength(handle) < ChangeMapFormat.FileLength)
            {
                // Sparse: only the pages of words in use take space, reserved as the .db file grows.
                RandomAccess.SetLength(handle, ChangeMapFormat.FileLength);
            }

            byte* mapped = DiskSpace.TryReserve(handle, path, 0, PageBytes) == 0 ? ChangeMapMapping.TryMap(fd) : null;
            if (mapped == null)
            {
                handle.Dispose();
                return null;
            }

            var map = new ChangeMapFile(path, handle, mapped);
            if (!map.TakeOver())
            {
                map.Dispose();
                return null;
            }

            return map;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ChorusEventSource.Log.StorageDegraded(path, e.Message);
            handle.Dispose();
            return null;
        }
    }

    /// <summary>The word of the region that holds the value at <paramref name="valueOffset"/> in the <c>.db</c> file.</summary>
    public long* WordFor(int valueOffset) => (long*)(_base + ChangeMapFormat.HeaderSize) + ChangeMapFormat.RegionOf(valueOffset);

    /// <summary>
    /// Reserves the pages of the words for the first <paramref name="dbEnd"/> bytes of the <c>.db</c> file, before they
    /// are used: a reader marks every word of the regions in use, and a write to an unreserved page of a full disk would
    /// raise SIGBUS in the reader. Returns 0 or an errno.
    /// </summary>
    public int TryReserve(long dbEnd)
    {
        long end = ChangeMapFormat.BytesFor(ChangeMapFormat.RegionsFor((int)Math.Min(dbEnd, DbFormat.MaxFileSize)));
        end = Math.Min(ChangeMapFormat.FileLength, (end + PageBytes - 1) / PageBytes * PageBytes);
        if (end <= _reservedEnd || _closed)
        {
            return 0;
        }

        int errno = DiskSpace.TryReserve(_handle, Path, _reservedEnd, end - _reservedEnd);
        if (errno == 0)
        {
            _reservedEnd = end;
        }

        return errno;
    }

    /// <summary>
    /// Lets go of the lock (readers read the file whole again) and the descriptor, and keeps the mapping: words handed out
    /// stay valid. The unlock is explicit: a mapping holds the open file, and a flock lasts as long as the open file does.
    /// </summary>
    public void Detach()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        Unlock();
        _handle.Dispose();
    }

    /// <summary>Releases the lock, the mapping and the descriptor. Words handed out become invalid.</summary>
    public void Dispose()
    {
        Detach();
        if (_base != null)
        {
            ChangeMapMapping.Unmap(_base);
            _base = null;
        }
    }

    /// <summary>Writes a header into a new map, draws this writer's owner number, then locks. False for a map of another version.</summary>
    private bool TakeOver()
    {
        var header = new Span<byte>(_base, ChangeMapFormat.HeaderSize);
        if (!ChangeMapFormat.IsValidHeader(header))
        {
            if (header.ContainsAnyExcept((byte)0))
            {
                return false;
            }

            ChangeMapFormat.WriteHeader(header);
        }

        long owner;
        do
        {
            owner = Random.Shared.NextInt64();
        }
        while (owner == 0);
        Volatile.Write(ref *(long*)(_base + ChangeMapFormat.OwnerOffset), owner);
        IsOwner = TryLock();
        return true;
    }

    private bool TryLock()
    {
        int fd = (int)_handle.DangerousGetHandle();
        for (int i = 0; i < LockTries; i++)
        {
            if (Libc.Flock(fd, FlockOperation.Exclusive | FlockOperation.NonBlocking) == 0)
            {
                return true;
            }

            Thread.Sleep(1);
        }

        // Another live writer of this file holds it (a shared identity). Both bump words, so a reader that trusts the map
        // while the other holds it misses nothing of this one's.
        return false;
    }

    private void Unlock()
    {
        if (IsOwner)
        {
            _ = Libc.Flock((int)_handle.DangerousGetHandle(), FlockOperation.Unlock);
            IsOwner = false;
        }
    }
}
