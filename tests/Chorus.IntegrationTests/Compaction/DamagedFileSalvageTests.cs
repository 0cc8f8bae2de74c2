using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Compaction;

/// <summary>
/// A Python worker SIGKILLed between creating its file and sizing it leaves a 0-byte <c>.db</c> file, on which
/// prometheus_client 0.16's collector fails every scrape. Compaction renames such a dead writer's file (no complete
/// entry to salvage) to <c>NAME.damaged</c>, says so, and Python's collector works again and agrees with Chorus.
/// </summary>
public sealed class DamagedFileSalvageTests : IDisposable
{
    // Above any pid_max Linux allows (2^22), so no process can hold it: a dead writer.
    private const string Empty = "counter_4999999.db";
    private readonly TempDirectory _dir = new("salvage");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DeadWritersEmptyFile_IsMovedAside_PythonCollectorWorksAgain()
    {
        CompactionPeers.RunDeadWorker(_dir.Path, 41);
        File.WriteAllBytes(_dir.File(Empty), []);
        (int brokenExit, _, _) = PythonPeer.RunScript("writer_collect.py", _dir.Path);
        Assert.NotEqual(0, brokenExit);

        ProcessResult doctor = ChorusCli.Run("doctor", "--dir", _dir.Path);
        Assert.Contains("1 damaged file(s): prometheus_client's collector fails", doctor.Stdout, StringComparison.Ordinal);
        Assert.Contains(ChorusCli.Run("compact", "--dir", _dir.Path, "--dry-run").Stdout.Split('\n'), l => l.Contains("would move aside", StringComparison.Ordinal) && l.Contains(Empty, StringComparison.Ordinal));
        ProcessResult compact = ChorusCli.Run("compact", "--dir", _dir.Path);

        Assert.True(compact.ExitCode == 0, compact.Describe());
        Assert.Contains(compact.Stdout.Split('\n'), l => l.Contains("moved aside", StringComparison.Ordinal) && l.Contains(Empty, StringComparison.Ordinal));
        Assert.False(File.Exists(_dir.File(Empty)));
        Assert.True(File.Exists(_dir.File(Empty + ".damaged")));
        CompactionPeers.AssertSameView(CompactionPeers.ChorusView(_dir.Path), CompactionPeers.PythonViews(_dir.Path)[_dir.Path], "after the move");
    }
}
