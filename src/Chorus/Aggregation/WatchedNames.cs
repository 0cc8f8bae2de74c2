using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <summary>
/// The names a directory watch reported changed, looked up one by one (<see cref="DirectoryListing"/>): what a listing of
/// every name would have found for them, for one <c>statx</c> each.
/// </summary>
internal static class WatchedNames
{
    /// <summary>
    /// Looks up each name the watch saw change: a <c>.db</c> file there now (with its inode), or gone. False when a name
    /// needs the whole listing (a removal sidecar, a directory, a symbolic link or anything but a regular file, a name that
    /// was a directory).
    /// </summary>
    /// <param name="directoryPath">The directory listed.</param>
    /// <param name="options">The directory's options (the file filter).</param>
    /// <param name="directoriesNamedDb">The names the listing found to be directories.</param>
    /// <param name="names">The names the watch saw created, deleted, renamed or relinked.</param>
    /// <param name="present">The <c>.db</c> files there now, with their inodes (null: none).</param>
    /// <param name="gone">The names gone (null: none).</param>
    public static bool TryLookUp(string directoryPath, MultiProcessDirectoryOptions options, List<string> directoriesNamedDb, IReadOnlySet<string> names, out List<(string Name, ulong Inode)>? present, out List<string>? gone)
    {
        present = null;
        gone = null;
        foreach (string name in names)
        {
            if (name.EndsWith(DbRemovedKeys.Suffix, StringComparison.Ordinal) || directoriesNamedDb.Contains(name))
            {
                return false;
            }

            if (name.Length == 0 || name[0] == '.' || !name.EndsWith(".db", StringComparison.Ordinal)
                || (options.FileFilter is not null && !options.FileFilter(name)))
            {
                // Not a name the listing takes (lock files, a writer's temporary files).
                continue;
            }

            // One statx that does not follow a symbolic link: a regular file there is the entry itself.
            if (!FileStatus.TryReadEntry(Path.Join(directoryPath, name), out FileStatus status))
            {
                (gone ??= []).Add(name);
            }
            else if (status.IsRegular)
            {
                (present ??= []).Add((name, status.Inode));
            }
            else
            {
                return false;
            }
        }

        return true;
    }
}
