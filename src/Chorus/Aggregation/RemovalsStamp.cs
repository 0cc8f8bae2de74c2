using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <summary>
/// What a file's removal sidecar and the file were when the reader last read the sidecar: the same stamp means the same
/// list, applied to the same file, so the file's families need no full merge for it.
/// </summary>
/// <remarks>
/// A sidecar is only ever replaced by a rename (<see cref="DbRemovedKeys.Write"/>), so a new list is a new inode, and its
/// change time and size tell a reused inode number apart. The file's own inode is in the stamp because a list that
/// names a file (<see cref="RemovedKeyList"/>) applies only to that one.
/// </remarks>
/// <param name="Sidecar">The sidecar's inode.</param>
/// <param name="Length">The sidecar's size.</param>
/// <param name="ChangedSeconds">The sidecar's change time, seconds.</param>
/// <param name="ChangedNanoseconds">The sidecar's change time, nanoseconds.</param>
/// <param name="File">The inode of the file the list was applied to.</param>
internal readonly record struct RemovalsStamp(ulong Sidecar, long Length, long ChangedSeconds, long ChangedNanoseconds, ulong File)
{
    /// <summary>The stamp of <paramref name="file"/>'s sidecar now; null when there is none (or it cannot be read).</summary>
    public static RemovalsStamp? Of(FileState file) =>
        FileStatus.TryReadEntry(DbRemovedKeys.PathFor(file.Path), out FileStatus status)
            ? new RemovalsStamp(status.Inode, status.Length, status.ChangedSeconds, status.ChangedNanoseconds, file.Identity.Inode)
            : null;
}
