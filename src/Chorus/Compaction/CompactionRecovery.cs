using Chorus.Files;
using Chorus.Internal;
using Chorus.Storage;

namespace Chorus.Compaction;

/// <summary>
/// Completes or rolls back a compaction that died (journal still present), then sweeps working files left by
/// runs that died before writing a journal, and the start-up files of writers killed while starting. Runs under
/// the directory lock, before any new work.
/// </summary>
internal static class CompactionRecovery
{
    /// <summary>Returns a description of what was recovered, or null when there was nothing to do.</summary>
    /// <exception cref="InvalidDataException">The journal is unreadable; the directory needs an operator.</exception>
    public static string? Run(string directory, CompactionOptions options, Action<CompactionStep> step)
    {
        var notes = new List<string>();
        CompactionJournal? journal = CompactionJournal.TryRead(directory);
        if (journal is not null)
        {
            foreach (JournalGroup group in journal.Groups)
            {
                notes.Add(RecoverGroup(directory, ref journal, group, options, step));
                step(CompactionStep.RecoveryStep);
            }

            if (options.FlushToDisk)
            {
                NativeFile.SyncDirectory(directory);
            }

            foreach (JournalGroup group in journal.Groups)
            {
                CompactionGroupOps.DropBackup(directory, group);
            }

            CompactionJournal.Delete(directory);
            CompactionGeneration.Bump(directory);
        }

        Sweep(directory, options, notes);
        return notes.Count == 0 ? null : string.Join("; ", notes);
    }

    private static string RecoverGroup(string directory, ref CompactionJournal journal, JournalGroup group, CompactionOptions options, Action<CompactionStep> step)
    {
        FileIdentity? archive = NativeFile.TryGetId(Path.Combine(directory, group.Archive));
        if (archive != group.NewArchive)
        {
            // The new archive never became visible: the old state is intact; drop the unused new archive.
            CompactionGroupOps.Undo(directory, group);
            return $"{group.Archive}: rolled back (new archive was not yet in place)";
        }

        if (!group.Undoing)
        {
            // Folded files still under their .db names may have been reopened while no compactor ran (a reused PID, a
            // slot's next owner), and perhaps let go again (it died), which only their bytes show; only if none was can
            // the compaction be completed without unlinking what was written since the fold.
            var named = group.Folded
                .Where(f => NativeFile.TryGetId(Path.Combine(directory, f.Name)) == f.Id)
                .Select(f => (Path: Path.Combine(directory, f.Name), f.Id, f.Bytes))
                .ToList();
            if (ClaimCheck.FindHeld(directory, named.Select(n => (n.Path, n.Id)).ToList(), TimeSpan.Zero).Count == 0
                && FoldedContent.Changed(named.Select(n => (n.Path, n.Bytes))).Count == 0)
            {
                List<(string Path, FileIdentity Id)> claimed = CompactionGroupOps.Claim(directory, group, step);
                if (ClaimCheck.FindHeld(directory, claimed, options.ClaimSettleTime).Count == 0
                    && FoldedContent.ChangedClaims(group, claimed).Count == 0)
                {
                    CompactionGroupOps.Unlink(claimed, step);
                    return $"{group.Archive}: completed ({group.Folded.Count} folded files removed)";
                }
            }

            journal = journal.WithUndoing(group.Archive);
            journal.WriteDurably(directory, options.FlushToDisk);
            CompactionGeneration.Bump(directory);
            group = group with { Undoing = true };
        }

        IReadOnlyList<string> renamed = CompactionGroupOps.Undo(directory, group);
        return renamed.Count == 0
            ? $"{group.Archive}: rolled back (a folded file was reopened)"
            : $"{group.Archive}: rolled back (a folded file was reopened); kept {string.Join(", ", renamed)}";
    }

    // A writer keeps its write-check probe or its new file's sizing name for microseconds. A PID we cannot see may
    // still be alive (another PID namespace, /proc mounted with hidepid), so a file must also be this old.
    private static readonly TimeSpan StartupLitterMinimumAge = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether a write-check probe or sizing file was left by a writer killed while starting: its PID is gone and the
    /// file is not new. A PID that is alive again (reused) keeps its file until a later sweep finds it gone.
    /// </summary>
    private static bool IsStartupLitter(string path, int pid) =>
        !ProcessTable.Exists(pid) && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) >= StartupLitterMinimumAge;

    private static void Sweep(string directory, CompactionOptions options, List<string> notes)
    {
        foreach (string path in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(ArchiveNames.TempSuffix, StringComparison.Ordinal)
                || name.EndsWith(ArchiveNames.BackupSuffix, StringComparison.Ordinal)
                || name is CompactionJournal.FileName + ".tmp" or CompactionGeneration.FileName + ".tmp")
            {
                File.Delete(path);
                notes.Add($"removed leftover {name}");
            }
            else if (StartupFileNames.TryGetCreator(name, out int pid) && IsStartupLitter(path, pid))
            {
                File.Delete(path);
                notes.Add($"removed leftover {name} (PID {pid} died while starting to write)");
            }
            else if (name.EndsWith(ArchiveNames.ClaimSuffix, StringComparison.Ordinal) && NativeFile.TryGetId(path) is { } id)
            {
                // A deletion that died between claim and unlink: finish it unless someone holds the file.
                string original = Path.Combine(directory, name[..^ArchiveNames.ClaimSuffix.Length]);
                if (ClaimCheck.FindHeld(directory, [(path, id)], options.ClaimSettleTime).Count > 0)
                {
                    _ = NativeFile.TryRenameNoReplace(path, original);
                    notes.Add($"restored {Path.GetFileName(original)} (held open)");
                }
                else
                {
                    File.Delete(path);
                    notes.Add($"removed leftover {name}");
                }
            }
        }
    }
}
