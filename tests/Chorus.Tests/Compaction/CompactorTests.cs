using System.IO.MemoryMappedFiles;
using Chorus.Aggregation;
using Chorus.Compaction;
using Chorus.Exposition;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Tests.Compaction;

public sealed class CompactorTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(ValueLayout.Value8)]
    [InlineData(ValueLayout.ValueAndTimestamp16)]
    public void Run_DeadFiles_FoldsIntoArchivesAndChorusViewIsUnchanged(ValueLayout layout)
    {
        RandomWorkload.Write(_dir.Path, new Random(7), processes: 5, layout);
        var before = TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved);

        CompactionReport report = Compactor.Run(_dir.Path);

        Assert.Null(report.Refusal);
        Assert.Equal(before, TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved));
        string suffix = ArchiveNames.Identity(layout);
        Assert.Contains($"counter_{suffix}.db", report.Archives);
        Assert.True(File.Exists(Path.Combine(_dir.Path, $"histogram_{suffix}.db")));
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "counter_w*.db"));
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "gauge_livesum_*.db"));
        Assert.Equal(5, Directory.EnumerateFiles(_dir.Path, "gauge_all_w*.db").Count());
        Assert.DoesNotContain(Directory.EnumerateFiles(_dir.Path), f => f.EndsWith(ArchiveNames.ClaimSuffix, StringComparison.Ordinal) || f.EndsWith(ArchiveNames.TempSuffix, StringComparison.Ordinal) || f.EndsWith(ArchiveNames.BackupSuffix, StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_dir.Path, CompactionJournal.FileName)));
        Assert.Equal(report.FilesAfter, Directory.EnumerateFiles(_dir.Path, "*.db").Count());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_ADeadSlotsRemovalList_IsFoldedOutOnlyForTheFileItNames(bool namesThisFile)
    {
        // A dead slot's file whose removal list names it (its owner's removals), or names the file a handover rewrite
        // replaced (the series in this file was made again after that rewrite, by a Python worker for one).
        string path = new DbFileBuilder().Add("c", "c_total", 7, "C.", ("k", "kept")).Add("c", "c_total", 5, "C.", ("k", "again"))
            .WriteTo(Path.Combine(_dir.Path, "counter_0.db"));
        ulong inode = NativeFile.TryGetId(path)!.Value.Inode;
        DbRemovedKeys.Write(path, [ReferenceDbKey.Bytes("c", "c_total", [("k", "again")], "C.")], namesThisFile ? inode : inode + 1);
        SortedDictionary<string, double> before = TestDirectory.ChorusView(_dir.Path);
        Assert.Equal(!namesThisFile, before.ContainsKey("c_total{k=\"again\"}"));

        CompactionReport report = Compactor.Run(_dir.Path);

        Assert.False(File.Exists(path), string.Join("; ", report.Files.Select(f => $"{f.FileName} {f.Disposition} {f.Reason}")));
        Assert.Equal(before, TestDirectory.ChorusView(_dir.Path));
    }

    [Fact]
    public void Run_DeadLiveGaugeRemovedWhileCompacting_IsSkipped_AndTheCompactionFinishes()
    {
        // prometheus_client's mark_process_dead (or a slot's next writer) removes a dead worker's live gauge files
        // whenever it likes, also between the compactor finding one and claiming it.
        RandomWorkload.Write(_dir.Path, new Random(5), processes: 3, ValueLayout.Value8);
        var before = TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved);

        CompactionReport report = Compactor.Run(_dir.Path, AtFirstDeleteFound(live => File.Delete(live)));

        Assert.Null(report.Refusal);
        Assert.Equal(before, TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved));
        Assert.DoesNotContain(report.Files, a => a.FileName.StartsWith("gauge_livesum_", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "counter_w*.db"));
    }

    [Fact]
    public void Run_DeadLiveGaugeReplacedWhileCompacting_KeepsTheNewFile()
    {
        // The slot's next writer removed its predecessor's live gauge and created its own under the same name after the
        // compactor found the old one: the new file is not the compaction's to delete.
        RandomWorkload.Write(_dir.Path, new Random(6), processes: 3, ValueLayout.Value8);
        byte[]? fresh = null;

        CompactionReport report = Compactor.Run(_dir.Path, AtFirstDeleteFound(live =>
        {
            // Written aside and renamed over the old file, so the new one cannot get the old one's inode number back
            // (deleting first lets the filesystem reuse it, and the claim compares dev+inode).
            string aside = live + ".new";
            TestDirectory.WriteDb(aside, ValueLayout.Value8, [("inprogress", "inprogress", [], [], 7, 0)]);
            File.Move(aside, live, overwrite: true);
            fresh = File.ReadAllBytes(live);
        }));

        Assert.Null(report.Refusal);
        // The file found first was replaced before its claim: it stays. The later ones were found as replaced and are
        // dead processes' files like any other.
        string kept = Assert.Single(Directory.GetFiles(_dir.Path, "gauge_livesum_*.db"));
        Assert.Equal(fresh, File.ReadAllBytes(kept));
        Assert.DoesNotContain(report.Files, a => a.FileName == Path.GetFileName(kept));
    }

    [Fact]
    public void Run_Twice_FoldsIntoTheExistingArchive()
    {
        RandomWorkload.Write(_dir.Path, new Random(1), processes: 3, ValueLayout.Value8, "a");
        Compactor.Run(_dir.Path);
        RandomWorkload.Write(_dir.Path, new Random(2), processes: 3, ValueLayout.Value8, "b");
        var before = TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved);

        CompactionReport second = Compactor.Run(_dir.Path);

        Assert.Equal(18, second.FoldedCount);
        Assert.Equal(before, TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved));
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "counter_b*.db"));
    }

    [Fact]
    public void Run_MixedLayouts_KeepsOneArchivePerLayout()
    {
        RandomWorkload.Write(_dir.Path, new Random(3), processes: 2, ValueLayout.Value8, "e");
        RandomWorkload.Write(_dir.Path, new Random(4), processes: 2, ValueLayout.ValueAndTimestamp16, "s");
        var before = TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved);

        Compactor.Run(_dir.Path);

        Assert.True(File.Exists(Path.Combine(_dir.Path, "counter_archive8.db")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "counter_archive16.db")));
        Assert.Equal(before, TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved));
    }

    [Fact]
    public void Run_FileHeldOpen_IsAliveAndUntouched()
    {
        RandomWorkload.Write(_dir.Path, new Random(5), processes: 2, ValueLayout.Value8);
        string held = Path.Combine(_dir.Path, "counter_w1.db");
        byte[] heldBytes = File.ReadAllBytes(held);
        using (var stream = new FileStream(held, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            CompactionReport report = Compactor.Run(_dir.Path);

            Assert.Equal(Liveness.Alive, report.Identities.Single(i => i.Identity == "w1").Liveness);
            Assert.Equal(Liveness.Dead, report.Identities.Single(i => i.Identity == "w0").Liveness);
        }

        Assert.Equal(heldBytes, File.ReadAllBytes(held));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "gauge_livesum_w1.db")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "counter_w0.db")));
    }

    [Fact]
    public void Run_FilesHeldOnlyByReaders_AreDeadAndFolded()
    {
        // An exporter keeps files open and mapped read-only between scrapes; that must not pass for a live writer.
        RandomWorkload.Write(_dir.Path, new Random(6), processes: 2, ValueLayout.Value8);
        var before = TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved);
        string read = Path.Combine(_dir.Path, "counter_w1.db");
        CompactionReport report;
        using (var stream = new FileStream(read, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true))
        using (MemoryMappedViewAccessor view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read))
        {
            report = Compactor.Run(_dir.Path);
        }

        Assert.Equal(Liveness.Dead, report.Identities.Single(i => i.Identity == "w1").Liveness);
        Assert.False(File.Exists(read));
        Assert.Equal(before, TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved));
    }

    [Fact]
    public void Run_WhileAReaderInThisProcessKeepsTheFiles_FoldsThemAndTheReaderStaysExact()
    {
        // chorus serve --compact-every: the compactor runs in the process whose reader keeps every file open and mapped
        // between scrapes, and nothing tells the reader to let go.
        RandomWorkload.Write(_dir.Path, new Random(8), processes: 3, ValueLayout.Value8);
        var before = TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved);
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(_dir.Path);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(before, View(reader.CollectFamilies()));
        }

        string counter = Path.Combine(_dir.Path, "counter_w1.db");
        Assert.Contains(counter, OpenFiles());

        CompactionReport report = Compactor.Run(_dir.Path);

        Assert.Null(report.Refusal);
        Assert.All(report.Identities.Where(i => i.Identity.StartsWith('w')), i => Assert.Equal(Liveness.Dead, i.Liveness));
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "counter_w*.db"));
        Assert.Equal(before, View(reader.CollectFamilies()));
        Assert.Equal(before, View(reader.CollectFamilies()));

        // Files the compactor folded and deleted are let go once a collection sees them gone.
        Assert.DoesNotContain(OpenFiles(), target => target is not null && target.StartsWith(_dir.Path, StringComparison.Ordinal) && target.EndsWith(" (deleted)", StringComparison.Ordinal));
    }

    [Fact]
    public void ProcessTable_Age_AgreesWithTheRuntimesStartTime()
    {
        TimeSpan expected = DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime;

        TimeSpan? age = ProcessTable.Age(Environment.ProcessId);

        Assert.NotNull(age);
        Assert.InRange(age.Value.TotalSeconds, expected.TotalSeconds - 1.5, expected.TotalSeconds + 1.5);
        Assert.Null(ProcessTable.Age(int.MaxValue));
    }

    [Fact]
    public void ProcessTable_CountsWritersNotReaders()
    {
        string path = Path.Combine(_dir.Path, "counter_1.db");
        File.WriteAllBytes(path, new byte[4096]);
        FileIdentity id = NativeFile.TryGetId(path)!.Value;
        int self = Environment.ProcessId;
        using (var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var readMap = MemoryMappedFile.CreateFromFile(reader, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true))
        using (MemoryMappedViewAccessor readView = readMap.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read))
        {
            Assert.DoesNotContain(self, ProcessTable.Scan(_dir.Path).HoldersOf(id));
            Assert.False(NativeFile.IsOpenForWritingElsewhere(path));
        }

        using (var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            Assert.Contains(self, ProcessTable.Scan(_dir.Path).HoldersOf(id));
            Assert.True(NativeFile.IsOpenForWritingElsewhere(path));
        }

        // A shared writable mapping keeps writing after its descriptor is closed: it still counts.
        using (var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite))
        using (MemoryMappedViewAccessor view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite))
        {
            Assert.Contains(self, ProcessTable.Scan(_dir.Path).HoldersOf(id));
        }
    }

    [Fact]
    public void Run_SlotLockHeld_IsAliveAndFreeSlotIsFolded()
    {
        RandomWorkload.Write(_dir.Path, new Random(6), processes: 2, ValueLayout.ValueAndTimestamp16, "");
        using FileLock? live = FileLock.TryAcquireExclusive(Path.Combine(_dir.Path, ArchiveNames.SlotLock("0")));
        File.WriteAllBytes(Path.Combine(_dir.Path, ArchiveNames.SlotLock("1")), []);

        CompactionReport report = Compactor.Run(_dir.Path);

        IdentityStatus slot0 = report.Identities.Single(i => i.Identity == "0");
        Assert.Equal((WriterKind.Slot, Liveness.Alive), (slot0.Kind, slot0.Liveness));
        IdentityStatus slot1 = report.Identities.Single(i => i.Identity == "1");
        Assert.Equal((WriterKind.Slot, Liveness.Dead), (slot1.Kind, slot1.Liveness));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "counter_0.db")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "counter_1.db")));
        Assert.False(FileLock.IsHeldExclusively(Path.Combine(_dir.Path, ArchiveNames.SlotLock("1"))));
    }

    [Fact]
    public void DryRun_ChangesNothingAndPredictsTheRealRun()
    {
        RandomWorkload.Write(_dir.Path, new Random(8), processes: 4, ValueLayout.Value8);
        Dictionary<string, string> before = _dir.Snapshot();

        CompactionReport dry = Compactor.Run(_dir.Path, new CompactionOptions { DryRun = true });

        Assert.Equal(before, _dir.Snapshot());
        CompactionReport real = Compactor.Run(_dir.Path);
        Assert.Equal(dry.FoldedCount, real.FoldedCount);
        Assert.Equal(dry.DeletedCount, real.DeletedCount);
        Assert.Equal(dry.FilesAfter, real.FilesAfter);
        Assert.Equal(dry.Archives, real.Archives.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Run_WhileAnotherCompactorHoldsTheLock_Refuses()
    {
        RandomWorkload.Write(_dir.Path, new Random(9), processes: 1, ValueLayout.Value8);
        Dictionary<string, string> before;
        using (FileLock? other = FileLock.TryAcquireExclusive(Path.Combine(_dir.Path, ArchiveNames.CompactorLock)))
        {
            before = _dir.Snapshot();
            CompactionReport report = Compactor.Run(_dir.Path);

            Assert.True(report.Refused);
            Assert.Contains("another compactor", report.Refusal, StringComparison.Ordinal);
            Assert.Equal(before, _dir.Snapshot());
            Assert.True(Compactor.Run(_dir.Path, new CompactionOptions { DryRun = true }).Refused);
        }

        Assert.False(Compactor.Run(_dir.Path).Refused);
    }

    [Fact]
    public void Run_AllModeRetention_DeletesOnlyExpiredAllGauges()
    {
        RandomWorkload.Write(_dir.Path, new Random(10), processes: 2, ValueLayout.Value8);
        File.SetLastWriteTimeUtc(Path.Combine(_dir.Path, "gauge_all_w0.db"), DateTime.UtcNow.AddHours(-2));

        Compactor.Run(_dir.Path, new CompactionOptions { AllModeRetention = TimeSpan.FromHours(1) });

        Assert.False(File.Exists(Path.Combine(_dir.Path, "gauge_all_w0.db")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "gauge_all_w1.db")));
    }

    [Fact]
    public void Run_DefaultRetention_DeletesAllGaugesUnchangedForTenMinutes_NullKeepsThem()
    {
        RandomWorkload.Write(_dir.Path, new Random(10), processes: 2, ValueLayout.Value8);
        File.SetLastWriteTimeUtc(Path.Combine(_dir.Path, "gauge_all_w0.db"), DateTime.UtcNow.AddMinutes(-11));

        Compactor.Run(_dir.Path, new CompactionOptions { AllModeRetention = null });
        Assert.True(File.Exists(Path.Combine(_dir.Path, "gauge_all_w0.db")));

        Compactor.Run(_dir.Path);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "gauge_all_w0.db")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "gauge_all_w1.db")));
    }

    [Fact]
    public void Run_DamagedDeadFileWithoutCompleteEntries_IsMovedAsideAndReported()
    {
        RandomWorkload.Write(_dir.Path, new Random(11), processes: 1, ValueLayout.Value8);
        string damaged = Path.Combine(_dir.Path, "counter_w9.db");
        File.WriteAllBytes(damaged, [0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 1, 2, 3]);

        CompactionReport report = Compactor.Run(_dir.Path);

        Assert.False(File.Exists(damaged));
        Assert.Equal([0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 1, 2, 3], File.ReadAllBytes(damaged + ".damaged"));
        Assert.Contains(report.Files, f => f.FileName == "counter_w9.db" && f.Disposition == FileDisposition.MovedAside && f.Reason.Contains("damaged", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_DamagedDeadFileWithCompleteEntries_IsFoldedAndMovedAside_ViewUnchanged()
    {
        RandomWorkload.Write(_dir.Path, new Random(11), processes: 1, ValueLayout.Value8);
        string source = Directory.GetFiles(_dir.Path, "counter_*.db").First();
        byte[] bytes = File.ReadAllBytes(source);
        int used = BitConverter.ToInt32(bytes, 0);
        string damaged = Path.Combine(_dir.Path, "counter_w9.db");
        File.WriteAllBytes(damaged, [.. BitConverter.GetBytes(used + 12), .. bytes.AsSpan(4, used - 4), 200, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        var before = TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved);

        CompactionReport report = Compactor.Run(_dir.Path);

        Assert.False(File.Exists(damaged));
        Assert.True(File.Exists(damaged + ".damaged"));
        Assert.Contains(report.Files, f => f.FileName == "counter_w9.db" && f.Disposition == FileDisposition.Folded && f.Reason.Contains("complete entries folded", StringComparison.Ordinal));
        Assert.Equal(before, TestDirectory.ChorusView(_dir.Path, RandomWorkload.Preserved));
    }

    [Fact]
    public void Run_StartupFilesOfADeadWriter_AreRemoved_ThoseOfALiveOrReusedPidAndNewOnesAreKept()
    {
        // A writer SIGKILLed while starting leaves its write-check probe or the new file it was sizing (bench/soak).
        int dead = ExitedProcessId();
        int live = Environment.ProcessId;
        string deadProbe = Leftover($".chorus-write-check-{dead}-1", TimeSpan.FromMinutes(1));
        string deadSizing = Leftover($"counter_3.db.{dead}.new", TimeSpan.FromMinutes(1));
        string liveProbe = Leftover($".chorus-write-check-{live}-1", TimeSpan.FromMinutes(1));
        string liveSizing = Leftover($"histogram_3.db.{live}.new", TimeSpan.FromMinutes(1));
        string justMade = Leftover($"gauge_all_3.db.{dead}.new", TimeSpan.Zero);
        string notOurs = Leftover($"notes.{dead}.new", TimeSpan.FromMinutes(1));

        CompactionReport report = Compactor.Run(_dir.Path);

        Assert.Null(report.Refusal);
        Assert.False(File.Exists(deadProbe));
        Assert.False(File.Exists(deadSizing));
        Assert.True(File.Exists(liveProbe));
        Assert.True(File.Exists(liveSizing));
        Assert.True(File.Exists(justMade));
        Assert.True(File.Exists(notOurs));
        Assert.Contains($"removed leftover counter_3.db.{dead}.new", report.Recovery, StringComparison.Ordinal);
    }

    private string Leftover(string name, TimeSpan age)
    {
        string path = Path.Combine(_dir.Path, name);
        File.WriteAllBytes(path, new byte[DbFormat.HeaderSize]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }

    /// <summary>Options whose hook does <paramref name="toEachLiveGauge"/> to every dead live gauge file once, when the first is found for deletion.</summary>
    private CompactionOptions AtFirstDeleteFound(Action<string> toEachLiveGauge)
    {
        bool done = false;
        return new CompactionOptions
        {
            ClaimSettleTime = TimeSpan.Zero,
            StepHook = step =>
            {
                if (step == CompactionStep.DeleteFound && !done)
                {
                    done = true;
                    foreach (string live in Directory.GetFiles(_dir.Path, "gauge_livesum_*.db"))
                    {
                        toEachLiveGauge(live);
                    }
                }
            },
        };
    }

    private static int ExitedProcessId()
    {
        using var process = System.Diagnostics.Process.Start("true") ?? throw new InvalidOperationException("true did not start");
        process.WaitForExit();
        return process.Id;
    }

    private static SortedDictionary<string, double> View(IReadOnlyList<MetricFamily> families)
    {
        var view = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (MetricFamily family in families.Where(f => RandomWorkload.Preserved(f.Name)))
        {
            foreach (Sample sample in family.Samples)
            {
                view[sample.Name + sample.Labels.ToString()] = sample.Value;
            }
        }

        return view;
    }

    private static List<string?> OpenFiles() => Directory.GetFiles("/proc/self/fd").Select(fd => new FileInfo(fd).LinkTarget).ToList();
}
