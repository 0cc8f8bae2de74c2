using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Compaction;

/// <summary>
/// Folds the files of dead writers into archive files prometheus_client's collector also reads, so a directory
/// stays bounded by the number of live processes however many have come and gone. Crash-safe at every step:
/// the protocol is in docs/compaction.md.
/// </summary>
/// <remarks>
/// One compactor runs per directory at a time (<see cref="ArchiveNames.CompactorLock"/>). A file is only touched
/// when its writer is known dead: a Chorus slot whose lock is free (and which the compactor then locks), or files
/// no process holds open. When some writer cannot be seen (another PID namespace) nothing is done.
/// </remarks>
public static class Compactor
{
    /// <summary>Compacts <paramref name="directory"/> once.</summary>
    /// <param name="directory">The metrics directory.</param>
    /// <param name="options">Settings; <see cref="CompactionOptions.Default"/> when null.</param>
    /// <returns>What was done, or why nothing was.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="IOException">A file operation failed; the journal lets the next run finish or undo the work.</exception>
    public static CompactionReport Run(string directory, CompactionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= CompactionOptions.Default;
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The metrics directory '{directory}' does not exist.");
        }

        string dir = NativeFile.RealPath(directory);
        Action<CompactionStep> step = options.StepHook ?? (_ => { });

        string lockPath = Path.Combine(dir, ArchiveNames.CompactorLock);
        if (options.DryRun)
        {
            return FileLock.IsHeldExclusively(lockPath) ? Refuse(dir, true, $"another compactor holds {lockPath}") : DryRun(dir, options);
        }

        using FileLock? directoryLock = FileLock.TryAcquireExclusive(lockPath);
        if (directoryLock is null)
        {
            return Refuse(dir, false, $"another compactor holds {lockPath}; try again when it has finished");
        }

        string? recovery = CompactionRecovery.Run(dir, options, step);
        step(CompactionStep.Started);
        DirectorySurvey survey = DirectorySurvey.Take(dir, options.ReusedPidGrace);
        if (survey.WritersInvisible)
        {
            return Refuse(dir, false, InvisibleMessage(survey), survey, recovery);
        }

        CompactionPlan plan = CompactionPlan.Make(survey, options, DateTime.UtcNow);
        var slotLocks = new List<FileLock>();
        try
        {
            LockDeadSlots(dir, plan, slotLocks);
            var actions = new List<FileAction>(plan.Kept);
            var execution = new CompactionExecution(dir, options, step, actions);
            IReadOnlyList<string> archives = execution.FoldGroups(plan.Groups.Values);
            execution.DeleteFiles(plan.Deletes);
            execution.DeleteFiles(plan.MovesAside, moveAside: true);
            _ = ChangeMapSweep.Run(dir);
            var unusable = survey.UnusableFiles.Select(u => u.Key).ToHashSet(StringComparer.Ordinal);
            DbFileTotals after = DbFileTotals.Of(dir, name => !unusable.Contains(name));
            return new CompactionReport
            {
                Directory = dir,
                DryRun = false,
                Recovery = recovery,
                Files = actions.OrderBy(a => a.FileName, StringComparer.Ordinal).ToList(),
                Identities = survey.Identities.Values.ToList(),
                Archives = archives,
                FilesBefore = survey.Files.Count,
                BytesBefore = survey.Files.Sum(f => f.Length),
                PythonDoubleCountWindow = execution.LongestDoubleCountWindow,
                FilesAfter = after.Files,
                BytesAfter = after.Bytes,
            };
        }
        finally
        {
            foreach (FileLock slotLock in slotLocks)
            {
                slotLock.Dispose();
            }
        }
    }

    private static void LockDeadSlots(string dir, CompactionPlan plan, List<FileLock> slotLocks)
    {
        foreach (string slot in plan.DeadSlots)
        {
            // Holding the slot's lock while its files are folded keeps a new process from taking the slot meanwhile.
            FileLock? slotLock = FileLock.TryAcquireExclusive(Path.Combine(dir, ArchiveNames.SlotLock(slot)));
            if (slotLock is not null)
            {
                slotLocks.Add(slotLock);
                continue;
            }

            foreach (PlannedGroup group in plan.Groups.Values)
            {
                foreach (DbFileStatus file in group.Sources.Where(f => f.Name.Identity == slot).ToList())
                {
                    group.Sources.Remove(file);
                    plan.Kept.Add(new FileAction(file.FileName, FileDisposition.Kept, "slot was taken by a new process during compaction", null, file.Length));
                }
            }

            foreach ((DbFileStatus file, string _) in plan.Deletes.Concat(plan.MovesAside).Where(d => d.File.Name.Identity == slot).ToList())
            {
                plan.Deletes.RemoveAll(d => d.File == file);
                plan.MovesAside.RemoveAll(d => d.File == file);
                plan.Kept.Add(new FileAction(file.FileName, FileDisposition.Kept, "slot was taken by a new process during compaction", null, file.Length));
            }
        }
    }

    private static CompactionReport DryRun(string dir, CompactionOptions options)
    {
        DirectorySurvey survey = DirectorySurvey.Take(dir, options.ReusedPidGrace);
        string? recovery = survey.JournalPresent ? "an interrupted compaction's journal is present; a real run recovers it first" : null;
        if (survey.WritersInvisible)
        {
            return Refuse(dir, true, InvisibleMessage(survey), survey, recovery);
        }

        CompactionPlan plan = CompactionPlan.Make(survey, options, DateTime.UtcNow);
        var actions = new List<FileAction>(plan.Kept);
        foreach (PlannedGroup group in plan.Groups.Values)
        {
            actions.AddRange(group.Sources.Select(f => new FileAction(
                f.FileName,
                FileDisposition.Folded,
                f.Damage.IsDamaged ? $"dead writer; damaged ({f.Damage}): its complete entries would be folded, the file kept as {f.FileName}{CompactionPlan.DamagedSuffix}" : "dead writer",
                group.Archive,
                f.Length)));
        }

        actions.AddRange(plan.Deletes.Select(d => new FileAction(d.File.FileName, FileDisposition.Deleted, d.Reason, null, d.File.Length)));
        actions.AddRange(plan.MovesAside.Select(d => new FileAction(d.File.FileName, FileDisposition.MovedAside, d.Reason, null, d.File.Length)));
        int newArchives = plan.Groups.Keys.Count(a => !survey.Files.Any(f => f.FileName == a));
        int removed = actions.Count(a => a.Disposition != FileDisposition.Kept);
        return new CompactionReport
        {
            Directory = dir,
            DryRun = true,
            Recovery = recovery,
            Files = actions.OrderBy(a => a.FileName, StringComparer.Ordinal).ToList(),
            Identities = survey.Identities.Values.ToList(),
            Archives = plan.Groups.Keys.Order(StringComparer.Ordinal).ToList(),
            FilesBefore = survey.Files.Count,
            BytesBefore = survey.Files.Sum(f => f.Length),
            FilesAfter = survey.Files.Count - removed + newArchives,
            BytesAfter = actions.Where(a => a.Disposition == FileDisposition.Kept).Sum(a => a.Length) + (newArchives * (long)DbFormat.InitialCapacity),
        };
    }

    private static string InvisibleMessage(DirectorySurvey survey)
    {
        IEnumerable<string> unknown = survey.Identities.Values.Where(i => i.Liveness == Liveness.Unknown).Select(i => $"{i.Identity}: {i.Reason}");
        return "some writers cannot be seen from here, so no file is safe to touch (" + string.Join("; ", unknown)
            + "). Run the compactor in the writers' PID namespace (same container/pod), or give each namespace its own directory.";
    }

    private static CompactionReport Refuse(string dir, bool dryRun, string reason, DirectorySurvey? survey = null, string? recovery = null) => new()
    {
        Directory = dir,
        DryRun = dryRun,
        Refusal = reason,
        Recovery = recovery,
        Identities = survey?.Identities.Values.ToList() ?? [],
        Files = survey?.Files.Select(f => new FileAction(f.FileName, FileDisposition.Kept, "compaction refused", null, f.Length)).ToList() ?? [],
        FilesBefore = survey?.Files.Count ?? 0,
        FilesAfter = survey?.Files.Count ?? 0,
        BytesBefore = survey?.Files.Sum(f => f.Length) ?? 0,
        BytesAfter = survey?.Files.Sum(f => f.Length) ?? 0,
    };
}
