using System.Runtime.InteropServices;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <summary>
/// A reader's view of a kept file's change map (<see cref="ChangeMapFormat"/>, docs/change-map.md): which regions of the
/// <c>.db</c> file may have changed since this reader last read them. Mapped shared read/write, because a reader marks
/// each word it has seen (makes it odd) before it reads the region's values; writers bump only marked words.
/// </summary>
/// <remarks>
/// The words are trusted only while a writer holds the map's lock and its owner number is the one the remembered words
/// were taken under; otherwise the caller reads every value, as for a file without a map. Nothing is ever cleared, so
/// two readers (a server and a <c>chorus scrape</c>) never take each other's changes: each compares with its own words.
/// </remarks>
internal sealed unsafe class ChangeMapWatch : IDisposable
{

    private int _fd;
    private byte* _base;
    private long _owner;

    // Per region: the word as this reader left it (marked seen), or -1 while unknown (the region is read).
    private long[] _seen = [];

    private ChangeMapWatch(int fd, byte* pointer)
    {
        _fd = fd;
        _base = pointer;
    }

    private long* Words => (long*)(_base + ChangeMapFormat.HeaderSize);

    /// <summary>Opens the map of the <c>.db</c> file at <paramref name="dbPath"/>; null when there is none this reader can use.</summary>
    public static ChangeMapWatch? TryOpen(string dbPath)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        int fd = Libc.Open(ChangeMapFormat.PathFor(dbPath), LinuxOpenFlags.ReadWrite | LinuxOpenFlags.NonBlock | LinuxOpenFlags.CloseOnExec | LinuxOpenFlags.NoFollow, 0);
        if (fd < 0)
        {
            return null;
        }

        if (!FileStatus.TryRead(fd, out FileStatus status) || !status.IsRegular || status.Length < ChangeMapFormat.FileLength)
        {
            _ = Libc.Close(fd);
            return null;
        }

        byte* mapped = ChangeMapMapping.TryMap(fd);
        if (mapped == null)
        {
            _ = Libc.Close(fd);
            return null;
        }

        var watch = new ChangeMapWatch(fd, mapped);
        if (!ChangeMapFormat.IsValidHeader(new ReadOnlySpan<byte>(mapped, ChangeMapFormat.HeaderSize)))
        {
            watch.Dispose();
            return null;
        }

        return watch;
    }

    /// <summary>
    /// Starts a refresh of a file with <paramref name="regions"/> regions in use: true when the words can say what
    /// changed (a writer that bumps them holds the map), false when every value must be read. A new owner number, or
    /// regions never seen, leaves those words unknown, so their regions are read in full.
    /// </summary>
    public bool TryBegin(int regions)
    {
        if (_fd < 0 || !IsHeld())
        {
            _owner = 0;
            return false;
        }

        long owner = Volatile.Read(ref *(long*)(_base + ChangeMapFormat.OwnerOffset));
        if (owner == 0 || regions > ChangeMapFormat.WordCount)
        {
            _owner = 0;
            return false;
        }

        if (owner != _owner)
        {
            _owner = owner;
            Array.Fill(_seen, -1);
        }

        if (_seen.Length < regions)
        {
            int old = _seen.Length;
            Array.Resize(ref _seen, Math.Max(regions, old * 2));
            _seen.AsSpan(old).Fill(-1);
        }

        return true;
    }

    /// <summary>The first region at or after <paramref name="region"/> (and before <paramref name="regions"/>) whose word is not the one this reader left.</summary>
    public int NextChanged(int region, int regions)
    {
        if (region >= regions)
        {
            return regions;
        }

        var words = new ReadOnlySpan<long>(Words + region, regions - region);
        return region + words.CommonPrefixLength(_seen.AsSpan(region, regions - region));
    }

    /// <summary>
    /// Marks region <paramref name="region"/>'s word seen and remembers it. Call before reading the region's values: a
    /// writer that changes one afterwards finds the mark and bumps the word (its store, then its read of the word, against
    /// this mark, then these reads of values).
    /// </summary>
    public void MarkSeen(int region)
    {
        ref long word = ref *(Words + region);
        long now = Volatile.Read(ref word);
        while ((now & 1) == 0)
        {
            long found = Interlocked.CompareExchange(ref word, now | 1, now);
            if (found == now)
            {
                now |= 1;
                break;
            }

            now = found;
        }

        _seen[region] = now;
    }

    // The mapping and descriptor are the process's own, not handles the runtime finalizes.
    ~ChangeMapWatch() => Release();

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        if (_base != null)
        {
            ChangeMapMapping.Unmap(_base);
            _base = null;
        }

        if (_fd >= 0)
        {
            _ = Libc.Close(_fd);
            _fd = -1;
        }
    }

    /// <summary>Whether some writer holds the map's exclusive lock: a shared probe that fails because of it.</summary>
    private bool IsHeld()
    {
        if (Libc.Flock(_fd, FlockOperation.Shared | FlockOperation.NonBlocking) == 0)
        {
            _ = Libc.Flock(_fd, FlockOperation.Unlock);
            return false;
        }

        return Marshal.GetLastPInvokeError() == Errno.WouldBlock;
    }
}
