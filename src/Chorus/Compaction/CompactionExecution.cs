using System.Diagnostics;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Compaction;

/// <summary>
/// The visible half of a compaction, in the order docs/compaction.md gives: new archives written aside and
/// journaled, then per archive: rename into place, claim the folded files, verify nobody opened them, unlink.
/// </summary>
internal sealed class CompactionExecution(string directory, CompactionOptions options, Action<CompactionStep> step, List<FileAction> actions)
{
    // Dead writers' damaged files whose complete entries were folded, with the damage: kept as {name}.damaged.
    private readonly Dictionary<string, (DbDamage Damage, int Entries)> _salvaged = new(StringComparer.Ordinal);

    /// <summary>The longest time between an archive's rename and its last folded file's claim.</summary>
    public TimeSpan LongestDoubleCountWindow { get; private set; }

    public IReadOnlyList<string> FoldGroups(IEnumerable<PlannedGroup> groups)
    {
        var prepared = new List<JournalGroup>();
        foreach (PlannedGroup group in groups)
        {
            if (Prepare(group) is { } journalGroup)
            {
                prepared.Add(journalGroup);
            }
        }

        if (prepared.Count == 0)
        {
            return [];
        }

        // Compile the claim path before any window opens: a claim of a file that does not exist changes nothing.
        _ = CompactionGroupOps.Claim(directory, prepared[0] with { Folded = [new JournalFolded("chorus-warm-up.db", "chorus-warm-up.db" + ArchiveNames.ClaimSuffix, default)] }, _ => { });
        var journal = new CompactionJournal(prepared);
        journal.WriteDurably(directory, options.FlushToDisk);
        step(CompactionStep.JournalWritten);
        CompactionGeneration.Bump(directory);
        step(CompactionStep.GenerationRaised);

        foreach (JournalGroup group in prepared)
        {
            File.Move(Path.Combine(directory, group.Temp), Path.Combine(directory, group.Archive), overwrite: true);
            long renamed = Stopwatch.GetTimestamp();
            step(CompactionStep.ArchiveRenamed);
            List<(string Path, FileIdentity Id)> claimed = CompactionGroupOps.Claim(directory, group, step);

            // From the rename to the last claim prometheus_client would count the folded files twice.
            TimeSpan window = Stopwatch.GetElapsedTime(renamed);
            LongestDoubleCountWindow = window > LongestDoubleCountWindow ? window : LongestDoubleCountWindow;
            IReadOnlyList<string> held = ClaimCheck.FindHeld(directory, claimed, options.ClaimSettleTime);
            if (held.Count == 0)
            {
                held = FoldedContent.ChangedClaims(group, claimed);
            }

            step(CompactionStep.ClaimsVerified);
            if (held.Count > 0)
            {
                journal = journal.WithUndoing(group.Archive);
                journal.WriteDurably(directory, options.FlushToDisk);
                CompactionGeneration.Bump(directory);
                step(CompactionStep.UndoStarted);
                IReadOnlyList<string> keptAside = CompactionGroupOps.Undo(directory, group with { Undoing = true });
                string reason = keptAside.Count == 0
                    ? "a process opened or wrote a folded file during compaction (PID reused); nothing was changed"
                    : $"a process opened or wrote a folded file during compaction; kept {string.Join(", ", keptAside)}";
                actions.AddRange(group.Folded.Select(f => new FileAction(f.Name, FileDisposition.Kept, reason, null, 0)));
                continue;
            }

            KeepDamagedCopies(group, claimed);
            CompactionGroupOps.Unlink(claimed, step);
            actions.AddRange(group.Folded.Select(f => new FileAction(f.Name, FileDisposition.Folded, FoldReason(f.Name), group.Archive, 0)));
        }

        if (options.FlushToDisk)
        {
            // The unlinks must be durable before the journal that could undo them disappears.
            NativeFile.SyncDirectory(directory);
        }

        foreach (JournalGroup group in prepared)
        {
            CompactionGroupOps.DropBackup(directory, group);
        }

        step(CompactionStep.BackupsRemoved);
        CompactionJournal.Delete(directory);
        step(CompactionStep.JournalRemoved);
        CompactionGeneration.Bump(directory);
        return journal.Groups.Where(g => !g.Undoing).Select(g => g.Archive).ToList();
    }

    /// <param name="deletes">The files and why.</param>
    /// <param name="moveAside">Rename each to <c>{name}.damaged</c> (or <c>{name}.damaged-{unixms}</c>) instead of unlinking it.</param>
    public void DeleteFiles(IEnumerable<(DbFileStatus File, string Reason)> deletes, bool moveAside = false)
    {
        var claimed = new List<(string Path, FileIdentity Id, DbFileStatus File, string Reason)>();
        foreach ((DbFileStatus file, string reason) in deletes)
        {
            string path = Path.Combine(directory, file.FileName);
            if (NativeFile.TryGetId(path) is not { } id)
            {
                continue;
            }

            step(CompactionStep.DeleteFound);
            string claim = path + ArchiveNames.ClaimSuffix;
            if (!NativeFile.TryRename(path, claim))
            {
                // Gone since it was found: a prometheus_client process's mark_process_dead removes dead workers' live
                // gauge files, and a slot's next writer its predecessor's.
                continue;
            }

            if (NativeFile.TryGetId(claim) != id)
            {
                // A new file took the name since it was found (the slot's next writer): not this compaction's to delete.
                _ = NativeFile.TryRenameNoReplace(claim, path);
                continue;
            }

            step(CompactionStep.DeleteClaimed);
            claimed.Add((claim, id, file, reason));
        }

        IReadOnlyList<string> held = ClaimCheck.FindHeld(directory, claimed.Select(c => (c.Path, c.Id)).ToList(), options.ClaimSettleTime);
        foreach ((string claim, FileIdentity _, DbFileStatus file, string reason) in claimed)
        {
            if (held.Contains(claim))
            {
                _ = NativeFile.TryRenameNoReplace(claim, Path.Combine(directory, file.FileName));
                actions.Add(new FileAction(file.FileName, FileDisposition.Kept, "a process opened it during compaction (PID reused)", null, file.Length));
                continue;
            }

            if (moveAside)
            {
                string aside = Path.Combine(directory, file.FileName + CompactionPlan.DamagedSuffix);
                if (!NativeFile.TryRenameNoReplace(claim, aside))
                {
                    _ = NativeFile.TryRenameNoReplace(claim, $"{aside}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
                }

                step(CompactionStep.DeleteUnlinked);
                actions.Add(new FileAction(file.FileName, FileDisposition.MovedAside, reason, null, file.Length));
                continue;
            }

            File.Delete(claim);
            step(CompactionStep.DeleteUnlinked);
            actions.Add(new FileAction(file.FileName, FileDisposition.Deleted, reason, null, file.Length));
        }
    }

    private JournalGroup? Prepare(PlannedGroup group)
    {
        string archivePath = Path.Combine(directory, group.Archive);
        var fold = new ArchiveFold(group.Kind, group.Mode, group.Layout);
        FileIdentity? oldId = NativeFile.TryGetId(archivePath);
        byte[] archiveData = [];
        DbFileScan? archiveScan = null;
        string? archiveProblem = null;
        if (oldId is not null && !TryRead(archivePath, fold.Layout, out archiveData, out archiveScan, out archiveProblem))
        {
            actions.AddRange(group.Sources.Select(f => new FileAction(f.FileName, FileDisposition.Kept, $"archive {group.Archive} is unusable ({archiveProblem})", null, f.Length)));
            return null;
        }

        if (archiveScan is not null)
        {
            fold.Add(archiveData, archiveScan);
        }

        var folded = new List<JournalFolded>();
        foreach (DbFileStatus source in group.Sources)
        {
            string path = Path.Combine(directory, source.FileName);
            FileIdentity? id = NativeFile.TryGetId(path);
            if (id is null)
            {
                continue;
            }

            // The identity is checked after the read so the bytes folded are the bytes of the file the journal names.
            if (!TryReadSource(path, group, out byte[] data, out DbFileScan? scan, out string? problem) || NativeFile.TryGetId(path) != id)
            {
                actions.Add(new FileAction(source.FileName, FileDisposition.Kept, problem ?? "replaced while being read", null, source.Length));
                continue;
            }

            RemovedKeyList removed = DbRemovedKeys.Read(path);
            fold.Add(data, scan!, removed.AppliesTo(id.Value.Inode) ? removed : RemovedKeyList.None);
            if (scan!.Damage.IsDamaged)
            {
                _salvaged[source.FileName] = (scan.Damage, scan.Entries.Count);
            }

            folded.Add(new JournalFolded(source.FileName, source.FileName + ArchiveNames.ClaimSuffix, id.Value, FoldedBytes.Of(data)));
        }

        if (folded.Count == 0)
        {
            return null;
        }

        string temp = group.Archive + ArchiveNames.TempSuffix;
        string tempPath = Path.Combine(directory, temp);
        using (FileStream stream = RegularFile.CreateNew(tempPath, FileAccess.Write, FileShare.Read))
        {
            stream.Write(fold.ToFileBytes());
            stream.Flush(options.FlushToDisk);
        }

        FileIdentity newId = NativeFile.TryGetId(tempPath) ?? throw new IOException($"The new archive '{tempPath}' vanished.");
        step(CompactionStep.TempArchiveWritten);
        string? backup = null;
        if (oldId is not null)
        {
            backup = group.Archive + ArchiveNames.BackupSuffix;
            string backupPath = Path.Combine(directory, backup);
            File.Delete(backupPath);
            if (!NativeFile.TryLink(archivePath, backupPath))
            {
                throw new IOException($"Cannot keep a backup link of '{archivePath}'.");
            }

            step(CompactionStep.BackupLinked);
        }

        return new JournalGroup(group.Archive, oldId, temp, newId, backup, false, folded);
    }

    /// <summary>
    /// Reads a file to fold: its complete entries up to any damage (<see cref="FoldableEntries"/>), which are what
    /// readers show of it; false only when nothing can be folded or the layout is not the archive's.
    /// </summary>
    private static bool TryReadSource(string path, PlannedGroup group, out byte[] data, out DbFileScan? scan, out string? problem)
    {
        data = DirectorySurvey.ReadUsedBytes(path, out FileStatus status);
        scan = FoldableEntries.Of(data, DbFileScan.Scan(data, status.Length), group.Kind);
        problem = scan.Layout is { } layout && layout != group.Layout ? $"layout is {layout}, not {group.Layout}"
            : scan.Damage.IsDamaged && scan.Entries.Count == 0 ? $"damaged with no complete entry: {scan.Damage}"
            : null;
        return problem is null;
    }

    private string FoldReason(string fileName) => _salvaged.TryGetValue(fileName, out (DbDamage Damage, int Entries) salvaged)
        ? $"dead writer; damaged ({salvaged.Damage}): its {salvaged.Entries} complete entries folded, the file kept as {fileName}{CompactionPlan.DamagedSuffix}"
        : "dead writer";

    /// <summary>
    /// Links each salvaged file, already folded and claimed, to <c>{name}.damaged</c> before its claim is unlinked:
    /// the bytes stay for inspection under a name no reader merges. Best effort: a crash before this point leaves the
    /// journal to finish the unlink, and only the copy for inspection is missing.
    /// </summary>
    private void KeepDamagedCopies(JournalGroup group, List<(string Path, FileIdentity Id)> claimed)
    {
        foreach (JournalFolded folded in group.Folded.Where(f => _salvaged.ContainsKey(f.Name)))
        {
            string claim = Path.Combine(directory, folded.Claim);
            if (claimed.Any(c => c.Path == claim))
            {
                string aside = Path.Combine(directory, folded.Name + CompactionPlan.DamagedSuffix);
                _ = NativeFile.TryLink(claim, aside) || NativeFile.TryLink(claim, $"{aside}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
            }
        }
    }

    private static bool TryRead(string path, ValueLayout expected, out byte[] data, out DbFileScan? scan, out string? problem)
    {
        data = DirectorySurvey.ReadUsedBytes(path, out FileStatus status);
        scan = DbFileScan.Scan(data, status.Length);
        problem = scan.Damage.IsDamaged ? $"damaged: {scan.Damage}"
            : scan.Layout is { } layout && layout != expected ? $"layout is {layout}, not {expected}"
            : null;
        return problem is null;
    }
}
