using System.Buffers.Binary;
using System.Text;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Compaction;

/// <summary>
/// A dead writer's damaged file makes prometheus_client 0.16's collector fail every scrape (a Python worker SIGKILLed
/// between creating its file and sizing it leaves a 0-byte one). Compaction folds its complete entries, which are what
/// Chorus's readers show of it, renames the file to <c>NAME.damaged</c> (no reader merges that name) and says so; then
/// Python's collector works again and agrees with Chorus, whose view has not changed.
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

    [Fact]
    public void DeadWritersTruncatedFile_CompleteEntriesFolded_FileMovedAside_NothingChangesForChorus()
    {
        CompactionPeers.RunDeadWorker(_dir.Path, 42);
        CompactionPeers.RunDeadWorker(_dir.Path, 43);
        string victim = Directory.GetFiles(_dir.Path, "counter_*.db").Order(StringComparer.Ordinal).First();
        string name = Path.GetFileName(victim);
        // Cut the file inside its last entry: the header's used now points past the end, as after a torn copy.
        int used = BinaryPrimitives.ReadInt32LittleEndian(File.ReadAllBytes(victim).AsSpan(0, 4));
        using (var stream = new FileStream(victim, FileMode.Open))
        {
            stream.SetLength(used - 3);
        }

        AssertSalvaged(name, entriesFolded: null);
    }

    [Fact]
    public void DeadWritersFileWithAnInvalidKey_EntriesBeforeItFolded_ArchiveStaysReadable()
    {
        CompactionPeers.RunDeadWorker(_dir.Path, 44);
        const string name = "counter_4999998.db";
        new DbFileBuilder(ValueLayout.Value8)
            .Add("salvaged", "salvaged_total", 5, "Complete before the damage.")
            .AddRaw(Encoding.UTF8.GetBytes("[\"salvaged\", \"salvaged_total\", {\"broken"), 7)
            .Add("lost", "lost_total", 9, "After the damage: readers never see it.")
            .WriteTo(_dir.File(name));

        SortedDictionary<string, double> after = AssertSalvaged(name, entriesFolded: 1);

        Assert.Equal(5, after.Single(kv => kv.Key.StartsWith("salvaged_total", StringComparison.Ordinal)).Value);
        Assert.DoesNotContain(after.Keys, k => k.StartsWith("lost", StringComparison.Ordinal));
    }

    /// <summary>
    /// Checks Python fails on <paramref name="name"/> before, then compacts, and checks the file was folded and moved
    /// aside, Chorus's view (dead workers' live gauges aside) did not change, and Python works again and agrees.
    /// </summary>
    private SortedDictionary<string, double> AssertSalvaged(string name, int? entriesFolded)
    {
        SortedDictionary<string, double> before = CompactionPeers.ChorusView(_dir.Path);
        (int brokenExit, _, _) = PythonPeer.RunScript("writer_collect.py", _dir.Path);
        Assert.NotEqual(0, brokenExit);
        Assert.Contains(ChorusCli.Run("compact", "--dir", _dir.Path, "--dry-run").Stdout.Split('\n'), l => l.Contains(name, StringComparison.Ordinal) && l.Contains("complete entries would be folded", StringComparison.Ordinal));

        ProcessResult compact = ChorusCli.Run("compact", "--dir", _dir.Path);

        Assert.True(compact.ExitCode == 0, compact.Describe());
        string line = compact.Stdout.Split('\n').Single(l => l.Contains(name, StringComparison.Ordinal));
        Assert.Contains(entriesFolded is { } n ? $"its {n} complete entries folded" : "complete entries folded", line, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File(name)));
        Assert.True(File.Exists(_dir.File(name + ".damaged")), compact.Stdout);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.chorus-*"));
        SortedDictionary<string, double> after = CompactionPeers.ChorusView(_dir.Path);
        CompactionPeers.AssertSameView(CompactionPeers.Preserved(before), CompactionPeers.Preserved(after), "Chorus before and after the salvage");
        CompactionPeers.AssertSameView(after, CompactionPeers.PythonViews(_dir.Path)[_dir.Path], "Python and Chorus after the salvage");
        return after;
    }
}
