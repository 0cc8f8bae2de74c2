using System.Runtime.InteropServices;

namespace Chorus.Aggregation;

/// <summary>
/// A directory's identity and change times, to tell whether its list of names can have changed since it was last
/// listed. Creating, deleting or renaming an entry sets the directory's mtime and ctime; writes to a file inside it
/// (through <c>write</c> or a mapping) do not, and need no new listing. The ctime cannot be set back by tools that
/// restore an mtime (touch, tar, rsync).
/// </summary>
internal readonly partial record struct DirectoryStamp(ulong Device, ulong Inode, long ModifiedSeconds, long ModifiedNanoseconds, long ChangedSeconds, long ChangedNanoseconds)
{
    /// <summary>
    /// How long after a change a listing is trusted to have seen it. A filesystem stores times at some granularity
    /// (a kernel tick on ext4 and tmpfs, 2 s on FAT): a change made just after a listing, within the same granule,
    /// leaves the times as they were. Once the recorded ctime is this much older than the listing, any later change
    /// must move it.
    /// </summary>
    public static readonly TimeSpan DefaultSettleTime = TimeSpan.FromSeconds(3);

    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Reads <paramref name="path"/>'s stamp; false when it cannot be read (then the directory is listed).</summary>
    public static bool TryRead(string path, out DirectoryStamp stamp)
    {
        stamp = default;
        if (s_unavailable)
        {
            return false;
        }

        try
        {
            // st_dev and st_ino lead struct stat; st_mtim and st_ctim (seconds, nanoseconds each) sit at offsets 88 and
            // 104 in both the x86-64 and the generic (arm64) layout. 256 bytes covers the whole struct on either.
            Span<byte> stat = stackalloc byte[256];
            if (Stat(path, ref MemoryMarshal.GetReference(stat)) != 0)
            {
                return false;
            }

            stamp = new DirectoryStamp(
                MemoryMarshal.Read<ulong>(stat),
                MemoryMarshal.Read<ulong>(stat[8..]),
                MemoryMarshal.Read<long>(stat[88..]),
                MemoryMarshal.Read<long>(stat[96..]),
                MemoryMarshal.Read<long>(stat[104..]),
                MemoryMarshal.Read<long>(stat[112..]));
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // glibc before 2.33 exports only __xstat: list every time.
            s_unavailable = true;
            return false;
        }
    }

    /// <summary>True when the last change is older than <paramref name="listedAt"/> by more than <paramref name="settleTime"/>.</summary>
    public bool SettledBefore(DateTimeOffset listedAt, TimeSpan settleTime)
    {
        long changedTicks = DateTimeOffset.UnixEpoch.Ticks + (ChangedSeconds * TimeSpan.TicksPerSecond) + (ChangedNanoseconds / 100);
        return changedTicks + settleTime.Ticks < listedAt.UtcTicks;
    }

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte stat);
}
