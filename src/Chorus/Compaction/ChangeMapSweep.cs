using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Compaction;

/// <summary>
/// Deletes change maps (<see cref="ChangeMapFormat"/>) whose <c>.db</c> file is gone (folded, deleted, moved aside) and
/// that no writer holds: the last step of a compaction, so maps never pile up as dead writers' files are folded.
/// </summary>
/// <remarks>
/// A map is deleted only under its own exclusive lock, taken without waiting: a writer that holds it (or is taking it)
/// keeps it. A writer that opened it just before the unlink keeps an unlinked map, which readers cannot find: they read
/// its file whole, which costs time but never a value.
/// </remarks>
internal static class ChangeMapSweep
{

    /// <summary>Deletes the orphaned maps in <paramref name="directory"/>; returns how many.</summary>
    public static int Run(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        int deleted = 0;
        foreach (string path in Directory.EnumerateFiles(directory, "*.db" + ChangeMapFormat.Suffix))
        {
            string db = path[..^ChangeMapFormat.Suffix.Length];
            if (!File.Exists(db) && TryDeleteUnheld(path, db))
            {
                deleted++;
            }
        }

        return deleted;
    }

    private static bool TryDeleteUnheld(string path, string db)
    {
        int fd = Libc.Open(path, LinuxOpenFlags.ReadWrite | LinuxOpenFlags.NonBlock | LinuxOpenFlags.CloseOnExec | LinuxOpenFlags.NoFollow, 0);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            // Checked again under the lock: a writer creates its .db file before its map.
            if (Libc.Flock(fd, FlockOperation.Exclusive | FlockOperation.NonBlocking) != 0 || File.Exists(db))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }
}
