using System.Diagnostics;
using Chorus.Compaction;
using Chorus.Internal;

namespace Chorus.IntegrationTests.Compaction;

/// <summary>Compaction of directories written by real prometheus_client 0.16 processes (8-byte layout), checked against its own collector.</summary>
public sealed class CompactionPythonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chorus-compact-py-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void DeadPythonWorkers_AreFolded_LiveOneUntouched_ChorusUnchanged_PythonAgrees()
    {
        for (int seed = 1; seed <= 4; seed++)
        {
            CompactionPeers.RunDeadWorker(_dir, seed);
        }

        using Process live = CompactionPeers.StartLiveWorker(_dir, 99);
        try
        {
            string liveCounter = Path.Combine(_dir, $"counter_{live.Id}.db");
            Assert.True(File.Exists(liveCounter), $"pid {live.Id} exited={live.HasExited}; files: {string.Join(", ", Directory.EnumerateFiles(_dir).Select(Path.GetFileName))}");
            byte[] liveBytes = File.ReadAllBytes(liveCounter);
            var before = CompactionPeers.ChorusView(_dir);
            CompactionPeers.AssertSameView(before, CompactionPeers.PythonViews(_dir)[_dir], "Chorus vs Python before");

            (int code, string stdout, string stderr) = CompactionPeers.Chorus(null, "compact", "--dir", _dir);

            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("counter_archive8.db", stdout, StringComparison.Ordinal);
            Assert.Equal(liveBytes, File.ReadAllBytes(liveCounter));
            Assert.True(File.Exists(Path.Combine(_dir, $"gauge_livesum_{live.Id}.db")));
            Assert.Single(Directory.EnumerateFiles(_dir, "counter_*.db"), f => !f.EndsWith("archive8.db", StringComparison.Ordinal));
            var after = CompactionPeers.ChorusView(_dir);
            CompactionPeers.AssertSameView(CompactionPeers.Preserved(before), CompactionPeers.Preserved(after), "Chorus before vs after");
            CompactionPeers.AssertSameView(after, CompactionPeers.PythonViews(_dir)[_dir], "Chorus vs Python after");
        }
        finally
        {
            live.Kill();
            live.WaitForExit();
        }
    }

    [Fact]
    public void PidReuse_UnrelatedLiveProcessNamedByTheFile_CountsDead_ProcessHoldingItCountsAlive()
    {
        CompactionPeers.RunDeadWorker(_dir, 5);
        using Process unrelated = Process.Start(new ProcessStartInfo("sleep", "120"))!;
        using Process live = CompactionPeers.StartLiveWorker(_dir, 6);
        try
        {
            // Give the dead worker's files the PID of a running, unrelated process: a reused PID.
            string deadPid = Directory.EnumerateFiles(_dir, "counter_*.db").Select(f => Path.GetFileName(f)[8..^3]).Single(p => p != live.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (string file in Directory.EnumerateFiles(_dir, $"*_{deadPid}.db"))
            {
                File.Move(file, file.Replace($"_{deadPid}.db", $"_{unrelated.Id}.db", StringComparison.Ordinal));
            }

            DirectorySurvey survey = DirectorySurvey.Take(_dir);

            IdentityStatus reused = survey.Identities[unrelated.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            Assert.Equal(Liveness.Dead, reused.Liveness);
            Assert.Contains("PID reused", reused.Reason, StringComparison.Ordinal);
            IdentityStatus holder = survey.Identities[live.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            Assert.Equal(Liveness.Alive, holder.Liveness);
            Assert.Contains(live.Id, holder.Holders);

            var before = CompactionPeers.ChorusView(_dir);
            Assert.False(Compactor.Run(_dir).Refused);
            Assert.False(File.Exists(Path.Combine(_dir, $"counter_{unrelated.Id}.db")));
            Assert.True(File.Exists(Path.Combine(_dir, $"counter_{live.Id}.db")));
            CompactionPeers.AssertSameView(CompactionPeers.Preserved(before), CompactionPeers.Preserved(CompactionPeers.ChorusView(_dir)), "Chorus before vs after");
        }
        finally
        {
            unrelated.Kill();
            live.Kill();
            unrelated.WaitForExit();
            live.WaitForExit();
        }
    }

    [Fact]
    public void PythonSlotHolder_IsAliveWhileItHoldsTheLock_FoldedAfterItDies_PythonAgrees()
    {
        CompactionPeers.RunDeadWorker(_dir, 7);
        using Process holder = CompactionPeers.StartLiveWorker(_dir, 8, "--slot", "3");
        DirectorySurvey survey = DirectorySurvey.Take(_dir);
        Assert.Equal((WriterKind.Slot, Liveness.Alive), (survey.Identities["3"].Kind, survey.Identities["3"].Liveness));
        Compactor.Run(_dir);
        Assert.True(File.Exists(Path.Combine(_dir, "counter_3.db")));

        holder.Kill();
        holder.WaitForExit();
        var before = CompactionPeers.ChorusView(_dir);
        CompactionReport report = Compactor.Run(_dir);

        Assert.Equal(Liveness.Dead, report.Identities.Single(i => i.Identity == "3").Liveness);
        Assert.False(File.Exists(Path.Combine(_dir, "counter_3.db")));
        Assert.False(FileLock.IsHeldExclusively(Path.Combine(_dir, ArchiveNames.SlotLock("3"))));
        var after = CompactionPeers.ChorusView(_dir);
        CompactionPeers.AssertSameView(CompactionPeers.Preserved(before), CompactionPeers.Preserved(after), "Chorus before vs after");
        CompactionPeers.AssertSameView(after, CompactionPeers.PythonViews(_dir)[_dir], "Chorus vs Python after");
    }

    [Fact]
    public void Cli_DryRun_ChangesNothing_SecondCompactorRefused_ExitCodes()
    {
        CompactionPeers.RunDeadWorker(_dir, 9);
        var files = Directory.EnumerateFiles(_dir).ToDictionary(f => f, File.ReadAllBytes);

        (int dry, string dryOut, _) = CompactionPeers.Chorus(null, "compact", "--dir", _dir, "--dry-run");

        Assert.Equal(0, dry);
        Assert.Contains("would fold", dryOut, StringComparison.Ordinal);
        Assert.Equal(files.Keys.Order(), Directory.EnumerateFiles(_dir).Order());
        Assert.All(files, kv => Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)));

        using (FileLock? other = FileLock.TryAcquireExclusive(Path.Combine(_dir, ArchiveNames.CompactorLock)))
        {
            (int refused, _, string refusedErr) = CompactionPeers.Chorus(null, "compact", "--dir", _dir);
            Assert.Equal(1, refused);
            Assert.Contains("another compactor", refusedErr, StringComparison.Ordinal);
        }

        Assert.Equal(1, CompactionPeers.Chorus(null, "compact", "--dir", Path.Combine(_dir, "missing")).Code);
        Assert.Equal(2, CompactionPeers.Chorus(null, "compact", "--dir", _dir, "--no-such-option").Code);
        Assert.Equal(0, CompactionPeers.Chorus(null, "compact", "--dir", _dir).Code);
    }
}
