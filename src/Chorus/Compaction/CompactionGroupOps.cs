using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Compaction;

/// <summary>File operations on one journal group shared by a running compaction and by recovery.</summary>
internal static class CompactionGroupOps
{
    /// <summary>
    /// Puts a group back to its state before the compaction: folded files renamed back to their <c>.db</c>
    /// names first (Python may count twice for a moment, the Chorus reader retries), then the old archive.
    /// The journal must already mark the group as undoing. Returns what did not go back under its own name: a folded
    /// file whose name a new file took meanwhile is kept under a fresh name (<see cref="ArchiveNames.Restored"/>).
    /// </summary>
    public static IReadOnlyList<string> Undo(string directory, JournalGroup group)
    {
        var renamed = new List<string>();
        foreach (JournalFolded folded in group.Folded)
        {
            string claim = Path.Combine(directory, folded.Claim);
            if (NativeFile.TryGetId(claim) == folded.Id && !NativeFile.TryRenameNoReplace(claim, Path.Combine(directory, folded.Name)))
            {
                // A slot's next owner created a fresh file under the name after a killed compactor let go of the slot.
                // Once the old archive is back, the claimed file is the only place its counts are: deleting it as a
                // leftover claim (as the sweep would) loses them, so it is given a name no writer holds.
                renamed.Add(KeepUnderFreshName(directory, claim, folded.Name) is { } fresh
                    ? $"{folded.Name} as {fresh} (its name was taken)"
                    : $"{folded.Claim} (its name was taken)");
            }
        }

        string archive = Path.Combine(directory, group.Archive);
        string? backup = group.Backup is null ? null : Path.Combine(directory, group.Backup);
        if (backup is not null && NativeFile.TryGetId(backup) is { } backupId && backupId == group.OldArchive)
        {
            File.Move(backup, archive, overwrite: true);
        }
        else if (group.OldArchive is null && NativeFile.TryGetId(archive) == group.NewArchive)
        {
            File.Delete(archive);
        }

        File.Delete(Path.Combine(directory, group.Temp));
        return renamed;
    }

    /// <summary>Renames a claimed file to a fresh <c>.db</c> name of its type; returns that name, or null if none was free.</summary>
    private static string? KeepUnderFreshName(string directory, string claim, string originalName)
    {
        if (!DbFileName.TryParse(originalName, out DbFileName name, out _))
        {
            return null;
        }

        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            string fresh = ArchiveNames.Restored(name, now, attempt);
            if (NativeFile.TryRenameNoReplace(claim, Path.Combine(directory, fresh)))
            {
                return fresh;
            }
        }

        return null;
    }

    /// <summary>Renames the folded files still under their <c>.db</c> names to their claim names; returns every claimed file present.</summary>
    public static List<(string Path, FileIdentity Id)> Claim(string directory, JournalGroup group, Action<CompactionStep> step)
    {
        // Renames first, in a tight loop: from the archive's rename to the last of these, prometheus_client
        // counts the folded files twice, so nothing slower belongs in between than one statx each.
        foreach (JournalFolded folded in group.Folded)
        {
            // Recovery runs after a killed compactor let go of the slot locks: the slot's next owner may have created
            // a fresh file under a name whose folded file was already claimed. Renaming that file aside and back would
            // hide its counts from a reader listing in between, and would replace the folded file's claim. (A stale
            // claim of another inode is still replaced, as before: the folded file must leave its name.)
            string name = Path.Combine(directory, folded.Name);
            if (NativeFile.TryGetId(name) == folded.Id && NativeFile.TryRename(name, Path.Combine(directory, folded.Claim)))
            {
                step(CompactionStep.FileClaimed);
            }
        }

        var claimed = new List<(string, FileIdentity)>();
        foreach (JournalFolded folded in group.Folded)
        {
            string claim = Path.Combine(directory, folded.Claim);
            FileIdentity? id = NativeFile.TryGetId(claim);
            if (id == folded.Id)
            {
                claimed.Add((claim, folded.Id));
            }
            else if (id is not null)
            {
                // Not the file that was folded (its name was reused): give it its name back untouched.
                _ = NativeFile.TryRenameNoReplace(claim, Path.Combine(directory, folded.Name));
            }
        }

        return claimed;
    }

    /// <summary>Unlinks claimed files (already verified unowned).</summary>
    public static void Unlink(IEnumerable<(string Path, FileIdentity Id)> claimed, Action<CompactionStep> step)
    {
        foreach ((string path, FileIdentity _) in claimed)
        {
            File.Delete(path);
            step(CompactionStep.ClaimUnlinked);
        }
    }

    /// <summary>Removes the group's backup link once the group is settled.</summary>
    public static void DropBackup(string directory, JournalGroup group)
    {
        if (group.Backup is not null)
        {
            File.Delete(Path.Combine(directory, group.Backup));
        }
    }
}
