using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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

    // Per region: the low half of the word as this reader left it, marked seen (odd), or 0 while unknown (the region is
    // read). A region is unchanged when its word, made odd, has this low half: a word only grows, by one bump per mark
    // (docs/change-map.md), so a changed word looks unchanged only after 2^32 - 1 bumps, each one after some reader's
    // collection, between two of this reader's. Four bytes a region, not eight: 4 MB of the GitLab-sized host's heap.
    private uint[] _seen = [];

    private ChangeMapWatch(int fd, byte* pointer)
    {
        _fd = fd;
        _base = pointer;
    }

    private long* Words => (long*)(_base + ChangeMapFormat.HeaderSize);

    /// <summary>How many bytes the remembered words take (tests).</summary>
    internal int SeenBytes => _seen.Length * sizeof(uint);

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
            Array.Clear(_seen);
        }

        if (_seen.Length < regions)
        {
            // The new regions are 0: unknown.
            Array.Resize(ref _seen, Math.Max(regions, _seen.Length * 2));
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

        long* words = Words;
        int at = region;

        // 128-bit vectors: the native build targets the minimum instruction set, where Vector256 is not accelerated and
        // this loop would run one word at a time.
        if (Vector128.IsHardwareAccelerated)
        {
            ref uint seen = ref MemoryMarshal.GetArrayDataReference(_seen);
            for (; at + 8 <= regions; at += 8)
            {
                Vector128<uint> first = Vector128.Narrow(Vector128.Load((ulong*)words + at), Vector128.Load((ulong*)words + at + 2));
                Vector128<uint> second = Vector128.Narrow(Vector128.Load((ulong*)words + at + 4), Vector128.Load((ulong*)words + at + 6));
                if ((first | Vector128<uint>.One) != Vector128.LoadUnsafe(ref seen, (nuint)at)
                    || (second | Vector128<uint>.One) != Vector128.LoadUnsafe(ref seen, (nuint)at + 4))
                {
                    break;
                }
            }
        }

        while (at < regions && Unchanged(words[at], _seen[at]))
        {
            at++;
        }

        return at;
    }

    /// <summary>Whether a region's word is the one this reader left (<paramref name="seen"/>, see <see cref="_seen"/>).</summary>
    private static bool Unchanged(long word, uint seen) => ((uint)word | 1) == seen;

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

        _seen[region] = (uint)now;
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
