using Chorus.Compaction;
using Chorus.Internal;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Compaction;

/// <summary>Compaction of directories written by real prometheus_client 0.16 processes (8-byte layout), checked against its own collector.</summary>
public sealed class CompactionPythonTests : IDisposable
{
    private readonly TempDirectory _dir = new("compact-py");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DeadPythonWorkers_AreFolded_LiveOneUntouched_ChorusUnchanged_PythonAgrees()
    {
        for (int seed = 1; seed <= 4; seed++)
        {
            CompactionPeers.RunDeadWorker(_dir.Path, seed);
        }

        using ChildProcess live = CompactionPeers.StartLiveWorker(_dir.Path, 99);
        try
        {
            string liveCounter = Path.Combine(_dir.Path, $"counter_{live.Pid}.db");
            Assert.True(File.Exists(liveCounter), $"pid {live.Pid} exited={live.HasExited}; files: {string.Join(", ", Directory.EnumerateFiles(_dir.Path).Select(Path.GetFileName))}");
            byte[] liveBytes = File.ReadAllBytes(liveCounter);
            var before = CompactionPeers.ChorusView(_dir.Path);
            CompactionPeers.AssertSameView(before, CompactionPeers.PythonViews(_dir.Path)[_dir.Path], "Chorus vs Python before");

            (int code, string stdout, string stderr) = ChorusCli.Run("compact", "--dir", _dir.Path);

            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("counter_archive8.db", stdout, StringComparison.Ordinal);
            Assert.Equal(liveBytes, File.ReadAllBytes(liveCounter));
            Assert.True(File.Exists(Path.Combine(_dir.Path, $"gauge_livesum_{live.Pid}.db")));
            Assert.Single(Directory.EnumerateFiles(_dir.Path, "counter_*.db"), f => !f.EndsWith("archive8.db", StringComparison.Ordinal));
            var after = CompactionPeers.ChorusView(_dir.Path);
            CompactionPeers.AssertSameView(CompactionPeers.Preserved(before), CompactionPeers.Preserved(after), "Chorus before vs after");
            CompactionPeers.AssertSameView(after, CompactionPeers.PythonViews(_dir.Path)[_dir.Path], "Chorus vs Python after");
        }
        finally
        {
            live.Kill();
        }
    }

    [Fact]
    public void PidReuse_YoungProcessIsLeftAlone_OlderUnrelatedProcessCountsDead_ProcessHoldingItCountsAlive()
    {
        CompactionPeers.RunDeadWorker(_dir.Path, 5);
        using ChildProcess unrelated = ChildProcess.Start("sleep", ["120"]);
        using ChildProcess live = CompactionPeers.StartLiveWorker(_dir.Path, 6);
        try
        {
            // Give the dead worker's files the PID of a running, unrelated process: a reused PID.
            string deadPid = Directory.EnumerateFiles(_dir.Path, "counter_*.db").Select(f => Path.GetFileName(f)[8..^3]).Single(p => p != live.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (string file in Directory.EnumerateFiles(_dir.Path, $"*_{deadPid}.db"))
            {
                File.Move(file, file.Replace($"_{deadPid}.db", $"_{unrelated.Pid}.db", StringComparison.Ordinal));
            }

            string reusedId = unrelated.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string reusedCounter = Path.Combine(_dir.Path, $"counter_{unrelated.Pid}.db");

            // Just started: it may be a new worker about to open the files it was named after, so they are left.
            IdentityStatus young = DirectorySurvey.Take(_dir.Path).Identities[reusedId];
            Assert.Equal(Liveness.Alive, young.Liveness);
            Assert.Contains("reused PID", young.Reason, StringComparison.Ordinal);
            Assert.False(Compactor.Run(_dir.Path).Refused);
            Assert.True(File.Exists(reusedCounter));

            // Past the grace (zero here) it is an unrelated process, and the files are a dead writer's.
            DirectorySurvey survey = DirectorySurvey.Take(_dir.Path, reusedPidGrace: TimeSpan.Zero);
            IdentityStatus reused = survey.Identities[reusedId];
            Assert.Equal(Liveness.Dead, reused.Liveness);
            Assert.Contains("PID reused", reused.Reason, StringComparison.Ordinal);
            IdentityStatus holder = survey.Identities[live.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            Assert.Equal(Liveness.Alive, holder.Liveness);
            Assert.Contains(live.Pid, holder.Holders);

            var before = CompactionPeers.ChorusView(_dir.Path);
            Assert.False(Compactor.Run(_dir.Path, new CompactionOptions { ReusedPidGrace = TimeSpan.Zero }).Refused);
            Assert.False(File.Exists(reusedCounter));
            Assert.True(File.Exists(Path.Combine(_dir.Path, $"counter_{live.Pid}.db")));
            CompactionPeers.AssertSameView(CompactionPeers.Preserved(before), CompactionPeers.Preserved(CompactionPeers.ChorusView(_dir.Path)), "Chorus before vs after");
        }
        finally
        {
            unrelated.Kill();
            live.Kill();
        }
    }

    [Fact]
    public void PythonSlotHolder_IsAliveWhileItHoldsTheLock_FoldedAfterItDies_PythonAgrees()
    {
        CompactionPeers.RunDeadWorker(_dir.Path, 7);
        using ChildProcess holder = CompactionPeers.StartLiveWorker(_dir.Path, 8, "--slot", "3");
        DirectorySurvey survey = DirectorySurvey.Take(_dir.Path);
        Assert.Equal((WriterKind.Slot, Liveness.Alive), (survey.Identities["3"].Kind, survey.Identities["3"].Liveness));
        Compactor.Run(_dir.Path);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "counter_3.db")));

        holder.Kill();
        var before = CompactionPeers.ChorusView(_dir.Path);
        CompactionReport report = Compactor.Run(_dir.Path);

        Assert.Equal(Liveness.Dead, report.Identities.Single(i => i.Identity == "3").Liveness);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "counter_3.db")));
        Assert.False(FileLock.IsHeldExclusively(Path.Combine(_dir.Path, ArchiveNames.SlotLock("3"))));
        var after = CompactionPeers.ChorusView(_dir.Path);
        CompactionPeers.AssertSameView(CompactionPeers.Preserved(before), CompactionPeers.Preserved(after), "Chorus before vs after");
        CompactionPeers.AssertSameView(after, CompactionPeers.PythonViews(_dir.Path)[_dir.Path], "Chorus vs Python after");
    }

    [Fact]
    public void Cli_DryRun_ChangesNothing_SecondCompactorRefused_ExitCodes()
    {
        CompactionPeers.RunDeadWorker(_dir.Path, 9);
        var files = Directory.EnumerateFiles(_dir.Path).ToDictionary(f => f, File.ReadAllBytes);

        (int dry, string dryOut, _) = ChorusCli.Run("compact", "--dir", _dir.Path, "--dry-run");

        Assert.Equal(0, dry);
        Assert.Contains("would fold", dryOut, StringComparison.Ordinal);
        Assert.Equal(files.Keys.Order(), Directory.EnumerateFiles(_dir.Path).Order());
        Assert.All(files, kv => Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)));

        using (FileLock? other = FileLock.TryAcquireExclusive(Path.Combine(_dir.Path, ArchiveNames.CompactorLock)))
        {
            (int refused, _, string refusedErr) = ChorusCli.Run("compact", "--dir", _dir.Path);
            Assert.Equal(1, refused);
            Assert.Contains("another compactor", refusedErr, StringComparison.Ordinal);
        }

        Assert.Equal(1, ChorusCli.Run("compact", "--dir", Path.Combine(_dir.Path, "missing")).ExitCode);
        Assert.Equal(2, ChorusCli.Run("compact", "--dir", _dir.Path, "--no-such-option").ExitCode);
        Assert.Equal(0, ChorusCli.Run("compact", "--dir", _dir.Path).ExitCode);
    }
}
