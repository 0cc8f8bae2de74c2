using Chorus.Internal;

namespace Chorus.Aggregation;

/// <summary>
/// A directory's identity and change times, to tell whether its list of names can have changed since it was last
/// listed. Creating, deleting or renaming an entry sets the directory's mtime and ctime; writes to a file inside it
/// (through <c>write</c> or a mapping) do not, and need no new listing. The ctime cannot be set back by tools that
/// restore an mtime (touch, tar, rsync).
/// </summary>
internal readonly record struct DirectoryStamp(ulong Device, ulong Inode, long ModifiedSeconds, long ModifiedNanoseconds, long ChangedSeconds, long ChangedNanoseconds)
{
    /// <summary>
    /// How long after a change a listing is trusted to have seen it. A filesystem stores times at some granularity
    /// (a kernel tick on ext4 and tmpfs, 2 s on FAT): a change made just after a listing, within the same granule,
    /// leaves the times as they were. Once the recorded ctime is this much older than the listing, any later change
    /// must move it.
    /// </summary>
    public static readonly TimeSpan DefaultSettleTime = TimeSpan.FromSeconds(3);

    /// <summary>Reads <paramref name="path"/>'s stamp; false when it cannot be read (then the directory is listed).</summary>
    public static bool TryRead(string path, out DirectoryStamp stamp)
    {
        stamp = default;
        if (!FileStatus.TryRead(path, out FileStatus status))
        {
            return false;
        }

        long modifiedTicks = (status.Modified - DateTime.UnixEpoch).Ticks;
        stamp = new DirectoryStamp(
            status.Device,
            status.Inode,
            modifiedTicks / TimeSpan.TicksPerSecond,
            modifiedTicks % TimeSpan.TicksPerSecond * 100,
            status.ChangedSeconds,
            status.ChangedNanoseconds);
        return true;
    }

    /// <summary>True when the last change is older than <paramref name="listedAt"/> by more than <paramref name="settleTime"/>.</summary>
    public bool SettledBefore(DateTimeOffset listedAt, TimeSpan settleTime)
    {
        long changedTicks = DateTimeOffset.UnixEpoch.Ticks + (ChangedSeconds * TimeSpan.TicksPerSecond) + (ChangedNanoseconds / 100);
        return changedTicks + settleTime.Ticks < listedAt.UtcTicks;
    }
}
