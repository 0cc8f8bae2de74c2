using Chorus.Compaction;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Tests.Compaction;

/// <summary>
/// The crash-safety invariant: a compaction stopped at any step leaves a directory in which Chorus's reader
/// sees every count exactly once, and the next run (recovery) finishes with the same view.
/// </summary>
public sealed class CompactorCrashTests
{
    private static readonly CompactionOptions s_fast = new() { FlushToDisk = false, ClaimSettleTime = TimeSpan.Zero };

    // What a process that reused a dead writer's identity wrote into its counter file.
    private static readonly (string, string, string[], string[], double, double)[] s_lateWrite = [("requests", "requests_total", ["path"], ["/late"], 5, 0)];

    [Fact]
    public void Crash_AtRandomSteps_100Runs_ReaderNeverSeesLossOrDoubleCount_AndRecoveryCompletes()
    {
        var random = new Random(20261126);
        var crashedAt = new HashSet<CompactionStep>();
        int checks = 0;
        CompactionStep[] candidates =
        [
            CompactionStep.Started, CompactionStep.TempArchiveWritten, CompactionStep.BackupLinked, CompactionStep.JournalWritten,
            CompactionStep.GenerationRaised, CompactionStep.ArchiveRenamed, CompactionStep.FileClaimed, CompactionStep.ClaimsVerified,
            CompactionStep.ClaimUnlinked, CompactionStep.BackupsRemoved, CompactionStep.JournalRemoved, CompactionStep.DeleteClaimed,
            CompactionStep.DeleteUnlinked,
        ];
        for (int run = 0; run < 100; run++)
        {
            using var dir = new TestDirectory();
            ValueLayout layout = random.Next(2) == 0 ? ValueLayout.Value8 : ValueLayout.ValueAndTimestamp16;
            RandomWorkload.Write(dir.Path, random, random.Next(1, 4), layout, "a");
            if (random.Next(2) == 0)
            {
                // Half the runs fold into archives that already exist (the backup/undo path).
                Compactor.Run(dir.Path, s_fast);
                RandomWorkload.Write(dir.Path, random, random.Next(1, 3), layout, "b");
            }

            var expected = TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved);
            // Round robin over the steps so each is crashed at; repeated steps at a random occurrence.
            CompactionStep target = candidates[run % candidates.Length];
            int occurrence = target is CompactionStep.FileClaimed or CompactionStep.ClaimUnlinked or CompactionStep.ArchiveRenamed
                or CompactionStep.TempArchiveWritten or CompactionStep.DeleteClaimed or CompactionStep.DeleteUnlinked ? random.Next(1, 4) : 1;
            int seen = 0;
            var options = new CompactionOptions
            {
                FlushToDisk = false,
                ClaimSettleTime = TimeSpan.Zero,
                StepHook = step =>
                {
                    checks++;
                    Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
                    if (step == target && ++seen == occurrence)
                    {
                        throw new SimulatedCrashException();
                    }
                },
            };

            bool crashed = false;
            try
            {
                Compactor.Run(dir.Path, options);
            }
            catch (SimulatedCrashException)
            {
                crashed = true;
                crashedAt.Add(target);
            }

            Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
            CompactionReport recovery = RunRecovery(dir.Path);
            Assert.Null(recovery.Refusal);
            Assert.True(!crashed || target is CompactionStep.Started or CompactionStep.JournalRemoved or CompactionStep.DeleteClaimed or CompactionStep.DeleteUnlinked or CompactionStep.BackupsRemoved
                || recovery.Recovery is not null, $"run {run}: a crash at {target} left nothing to recover");
            Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
            AssertClean(dir.Path);
        }

        Assert.True(checks > 500, $"only {checks} step checks ran");
        Assert.Equal(candidates.Order(), crashedAt.Order());
    }

    /// <summary>
    /// The next compactor run after a crash. A process another test starts at the moment a compactor holds its
    /// directory lock shares the lock's open file until it execs (flock locks belong to the open file, and a
    /// forked child has it until close-on-exec closes it), so the lock can outlive the crashed run by a moment
    /// on a loaded machine: the run then refuses, as designed, and is tried again shortly.
    /// </summary>
    private static CompactionReport RunRecovery(string directory)
    {
        CompactionReport report = Compactor.Run(directory, s_fast);
        for (int attempt = 0; attempt < 50 && report.Refusal is { } refusal && refusal.StartsWith("another compactor holds", StringComparison.Ordinal); attempt++)
        {
            Thread.Sleep(10);
            report = Compactor.Run(directory, s_fast);
        }

        return report;
    }

    [Fact]
    public void FoldedFileOpenedDuringClaim_GroupIsUndone_AndNothingIsLost()
    {
        using var dir = new TestDirectory();
        WriteArchivedAndLate(dir.Path, 3, 4, "late");
        var expected = TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved);
        FileStream? reopened = null;
        try
        {
            var options = new CompactionOptions
            {
                FlushToDisk = false,
                ClaimSettleTime = TimeSpan.Zero,
                StepHook = step =>
                {
                    // A process that reused the PID opened the counter file just before the compactor renamed it aside.
                    string claimed = Path.Combine(dir.Path, "counter_late0.db" + ArchiveNames.ClaimSuffix);
                    if (step == CompactionStep.FileClaimed && reopened is null && File.Exists(claimed))
                    {
                        reopened = new FileStream(claimed, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
                    }

                    Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
                },
            };

            CompactionReport report = Compactor.Run(dir.Path, options);

            Assert.NotNull(reopened);
            Assert.Contains(report.Files, f => f.FileName == "counter_late0.db" && f.Disposition == FileDisposition.Kept);
            Assert.True(File.Exists(Path.Combine(dir.Path, "counter_late0.db")));
            Assert.True(File.Exists(Path.Combine(dir.Path, "counter_late1.db")));
            Assert.DoesNotContain("counter_archive8.db", report.Archives);
            Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
        }
        finally
        {
            reopened?.Dispose();
        }

        AssertClean(dir.Path);
    }

    [Fact]
    public void FoldedFileReopenedWhileCompactorWasDown_RecoveryRollsBack_KeepingTheNewWrites()
    {
        using var dir = new TestDirectory();
        RandomWorkload.Write(dir.Path, new Random(5), 2, ValueLayout.Value8);
        var options = new CompactionOptions
        {
            FlushToDisk = false,
            ClaimSettleTime = TimeSpan.Zero,
            StepHook = step =>
            {
                if (step == CompactionStep.ArchiveRenamed)
                {
                    throw new SimulatedCrashException();
                }
            },
        };
        Assert.Throws<SimulatedCrashException>(() => Compactor.Run(dir.Path, options));

        // The crash left counter_w0.db in place; a new process with that PID opens it and keeps counting.
        var before = TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved);
        string reused = Path.Combine(dir.Path, "counter_w0.db");
        using (var writer = new FileStream(reused, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            byte[] data = File.ReadAllBytes(reused);
            DbFileScan scan = DbFileScan.Scan(data, data.Length);
            DbEntry first = scan.Entries[0];
            double value = DbFileScan.ReadValue(data, first);
            writer.Position = first.ValueOffset;
            writer.Write(BitConverter.GetBytes(value + 1000));
            writer.Flush();

            // Mid-way the reader counts the file inside the new archive: the new increments wait, nothing goes down.
            Assert.Equal(before, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
            CompactionReport recovery = Compactor.Run(dir.Path, s_fast);

            Assert.Contains("rolled back", recovery.Recovery, StringComparison.Ordinal);
            Assert.True(File.Exists(reused));
            var after = TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved);
            Assert.Equal(before.Keys, after.Keys);
            Assert.Equal(before.Values.Sum() + 1000, after.Values.Sum());
            Assert.Single(before, kv => after[kv.Key] != kv.Value);
        }

        AssertClean(dir.Path);
    }

    /// <summary>
    /// bench/soak's histogram decrease: a compaction killed after claiming a slot's file releases the slot's lock with
    /// it, the slot's next owner creates a fresh file under the folded name, and the recovery that rolls the group
    /// forward must leave that fresh file alone. It used to rename it to the claim name (over the folded file's claim)
    /// and then give it back, so a reader listing the directory in between missed the new owner's counts.
    /// </summary>
    [Fact]
    public void FoldedFileNameTakenByANewFileAfterACrash_RecoveryLeavesTheNewFileInPlace()
    {
        using var dir = new TestDirectory();
        WriteArchivedAndLate(dir.Path, 7, 8, "s");
        string taken = Path.Combine(dir.Path, "counter_s0.db");
        var options = new CompactionOptions
        {
            FlushToDisk = false,
            ClaimSettleTime = TimeSpan.Zero,
            StepHook = step =>
            {
                if (step == CompactionStep.FileClaimed && File.Exists(taken + ArchiveNames.ClaimSuffix))
                {
                    throw new SimulatedCrashException();
                }
            },
        };
        Assert.Throws<SimulatedCrashException>(() => Compactor.Run(dir.Path, options));
        var beforeNewOwner = TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved);

        // The new owner starts its own file under the folded name and keeps it open for writing.
        TestDirectory.WriteDb(taken, ValueLayout.Value8, [("requests", "requests_total", ["path"], ["/new"], 7, 0)]);
        using var newOwner = new FileStream(taken, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var expected = TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved);
        Assert.Equal(beforeNewOwner.Values.Sum() + 7, expected.Values.Sum());
        int checks = 0;
        var recoveryOptions = new CompactionOptions
        {
            FlushToDisk = false,
            ClaimSettleTime = TimeSpan.Zero,
            StepHook = _ =>
            {
                checks++;
                Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
            },
        };

        CompactionReport recovery = Compactor.Run(dir.Path, recoveryOptions);

        Assert.Contains("completed", recovery.Recovery, StringComparison.Ordinal);
        Assert.True(checks > 0);
        Assert.Equal(FileIdentity.Of(newOwner.SafeFileHandle, out _), NativeFile.TryGetId(taken));
        Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
        AssertClean(dir.Path);
    }

    /// <summary>
    /// A process that reused a dead writer's PID opened its file before the claim, wrote, and let go before the claim
    /// check (it died): no holder is left to see, but the bytes are not those folded. The group must be undone, keeping the
    /// write; unlinking the claim loses it.
    /// </summary>
    [Fact]
    public void FoldedFileWrittenAndClosedDuringClaim_GroupIsUndone_AndTheWriteIsKept()
    {
        using var dir = new TestDirectory();
        WriteArchivedAndLate(dir.Path, 3, 4, "late");
        var expected = ViewWithFileRewritten(dir.Path, "counter_late0.db", s_lateWrite);
        string claimed = Path.Combine(dir.Path, "counter_late0.db" + ArchiveNames.ClaimSuffix);
        bool written = false;
        var options = new CompactionOptions
        {
            FlushToDisk = false,
            ClaimSettleTime = TimeSpan.Zero,
            StepHook = step =>
            {
                if (step == CompactionStep.FileClaimed && !written && File.Exists(claimed))
                {
                    // Same inode, new bytes, and nobody holds it afterwards.
                    TestDirectory.WriteDb(claimed, ValueLayout.Value8, s_lateWrite);
                    written = true;
                }
            },
        };

        CompactionReport report = Compactor.Run(dir.Path, options);

        Assert.True(written);
        Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
        Assert.Contains(report.Files, f => f.FileName == "counter_late0.db" && f.Disposition == FileDisposition.Kept && f.Reason.Contains("wrote", StringComparison.Ordinal));
        AssertClean(dir.Path);
    }

    /// <summary>
    /// A compactor killed after its archive rename lets go of the slot locks; the slot's next owner continues the folded
    /// file under its name, writes, and dies before the next run. Recovery finds nobody holding the file, but its bytes
    /// are not those the journal recorded: it must undo, keeping the write, not complete and unlink it.
    /// </summary>
    [Fact]
    public void CrashAfterTheArchiveRename_FoldedFileWrittenByANewOwnerThatDied_RecoveryUndoesAndKeepsTheWrite()
    {
        using var dir = new TestDirectory();
        WriteArchivedAndLate(dir.Path, 3, 4, "late");
        string continuedName = "counter_late0.db";
        var expected = ViewWithFileRewritten(dir.Path, continuedName, s_lateWrite);
        var options = new CompactionOptions
        {
            FlushToDisk = false,
            ClaimSettleTime = TimeSpan.Zero,
            StepHook = step =>
            {
                // The counter archive's rename, not another group's: its new file has left the temp name.
                if (step == CompactionStep.ArchiveRenamed && !File.Exists(Path.Combine(dir.Path, "counter_archive8.db" + ArchiveNames.TempSuffix)))
                {
                    throw new SimulatedCrashException();
                }
            },
        };
        Assert.Throws<SimulatedCrashException>(() => Compactor.Run(dir.Path, options));

        // Same inode, new bytes, nobody holding it afterwards.
        TestDirectory.WriteDb(Path.Combine(dir.Path, continuedName), ValueLayout.Value8, s_lateWrite);
        CompactionReport recovery = Compactor.Run(dir.Path, s_fast);

        Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
        Assert.Contains("counter_archive8.db: rolled back (a folded file was reopened)", recovery.Recovery, StringComparison.Ordinal);
        AssertClean(dir.Path);
    }

    [Fact]
    public void Journal_KeepsWhatEachFoldedFilesBytesWere_AndReadsJournalsWithout()
    {
        var id = new FileIdentity(1, 2);
        var group = new JournalGroup("counter_archive8.db", null, "counter_archive8.db.chorus-new", new FileIdentity(1, 3), null, false,
            [new JournalFolded("counter_1.db", "counter_1.db.chorus-claimed", id, FoldedBytes.Of([1, 2, 3])), new JournalFolded("counter_2.db", "counter_2.db.chorus-claimed", id)]);
        using var dir = new TestDirectory();
        new CompactionJournal([group]).WriteDurably(dir.Path, flushToDisk: false);

        JournalGroup read = Assert.Single(CompactionJournal.TryRead(dir.Path)!.Groups);

        Assert.Equal(FoldedBytes.Of([1, 2, 3]), read.Folded[0].Bytes);
        Assert.Null(read.Folded[1].Bytes);
        Assert.NotEqual(FoldedBytes.Of([1, 2, 3]), FoldedBytes.Of([1, 2, 4]));
    }

    /// <summary>
    /// The gap docs/compaction.md listed as known: a compactor killed between two claims of one group, then both names
    /// taken over before recovery: one by a fresh file (the slot's next owner), the other by a process that reopened the
    /// unclaimed file. Recovery must undo the group, and the claimed file cannot go back under its taken name. It used to
    /// stay a claim that the sweep then deleted, losing its counts; it is now kept under a fresh name and counted.
    /// </summary>
    [Fact]
    public void CrashBetweenTwoClaims_ThenBothNamesTaken_RecoveryUndoesAndKeepsTheClaimedFileCounted()
    {
        using var dir = new TestDirectory();
        WriteArchivedAndLate(dir.Path, 7, 8, "s");
        string[] names = [Path.Combine(dir.Path, "counter_s0.db"), Path.Combine(dir.Path, "counter_s1.db")];
        var options = new CompactionOptions
        {
            FlushToDisk = false,
            ClaimSettleTime = TimeSpan.Zero,
            StepHook = step =>
            {
                if (step == CompactionStep.FileClaimed && names.Count(n => File.Exists(n + ArchiveNames.ClaimSuffix)) == 1)
                {
                    throw new SimulatedCrashException();
                }
            },
        };
        Assert.Throws<SimulatedCrashException>(() => Compactor.Run(dir.Path, options));
        string taken = names.Single(n => File.Exists(n + ArchiveNames.ClaimSuffix));
        string reopened = names.Single(n => n != taken);
        var beforeNewOwners = TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved);

        TestDirectory.WriteDb(taken, ValueLayout.Value8, [("requests", "requests_total", ["path"], ["/new"], 7, 0)]);
        using var freshOwner = new FileStream(taken, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        using var reopenedOwner = new FileStream(reopened, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var expected = TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved);
        Assert.Equal(beforeNewOwners.Values.Sum() + 7, expected.Values.Sum());

        CompactionReport recovery = Compactor.Run(dir.Path, s_fast);

        Assert.Equal(expected, TestDirectory.ChorusView(dir.Path, RandomWorkload.Preserved));
        Assert.Contains("rolled back", recovery.Recovery, StringComparison.Ordinal);
        string kept = Path.GetFileName(taken)[..^3] + "-restored-";
        Assert.Contains(kept, recovery.Recovery, StringComparison.Ordinal);
        Assert.Equal(FileIdentity.Of(freshOwner.SafeFileHandle, out _), NativeFile.TryGetId(taken));
        AssertClean(dir.Path);

        // The kept file belongs to no writer: the same run, once recovered, folded it like any dead writer's file.
        Assert.Equal(FileDisposition.Folded, Assert.Single(recovery.Files, f => f.FileName.StartsWith(kept, StringComparison.Ordinal)).Disposition);
    }

    /// <summary>Two dead writers' files folded into archives by a first compaction, then two more under <paramref name="latePrefix"/>.</summary>
    private static void WriteArchivedAndLate(string directory, int archivedSeed, int lateSeed, string latePrefix)
    {
        RandomWorkload.Write(directory, new Random(archivedSeed), 2, ValueLayout.Value8);
        Compactor.Run(directory, s_fast);
        RandomWorkload.Write(directory, new Random(lateSeed), 2, ValueLayout.Value8, latePrefix);
    }

    /// <summary>What Chorus's reader shows of <paramref name="directory"/> with file <paramref name="name"/> holding <paramref name="entries"/> instead (on a copy).</summary>
    private static SortedDictionary<string, double> ViewWithFileRewritten(string directory, string name, (string, string, string[], string[], double, double)[] entries)
    {
        using var copy = new TestDirectory();
        foreach (string file in Directory.EnumerateFiles(directory, "*.db"))
        {
            File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
        }

        TestDirectory.WriteDb(Path.Combine(copy.Path, name), ValueLayout.Value8, entries);
        return TestDirectory.ChorusView(copy.Path, RandomWorkload.Preserved);
    }

    private static void AssertClean(string directory)
    {
        Assert.False(File.Exists(Path.Combine(directory, CompactionJournal.FileName)));
        Assert.DoesNotContain(Directory.EnumerateFiles(directory), f =>
            f.EndsWith(ArchiveNames.ClaimSuffix, StringComparison.Ordinal) || f.EndsWith(ArchiveNames.TempSuffix, StringComparison.Ordinal) || f.EndsWith(ArchiveNames.BackupSuffix, StringComparison.Ordinal));
    }

    private sealed class SimulatedCrashException : Exception
    {
    }
}
