using System.Text.RegularExpressions;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Compaction;

/// <summary>
/// Faults during compaction of a prometheus_client directory, on real file systems: a full disk (a small tmpfs) at
/// every write the compactor makes, a read-only directory, a damaged journal. Each run stops with a clear error,
/// Chorus's reader and Python's collector still see every count exactly once, the next run recovers, <c>chorus
/// doctor</c> reports the state and <c>chorus serve</c> keeps serving.
/// </summary>
public sealed partial class CompactionFaultTests : IDisposable
{
    private const int Page = 4096;
    private readonly TempDirectory _root = new("compact-fault");

    public void Dispose() => _root.Dispose();

    [Fact]
    public void DiskFullAtEveryWrite_RunStopsClearly_NothingLostOrDoubled_NextRunRecovers()
    {
        string template = Template();
        SortedDictionary<string, double> expected = CompactionPeers.Preserved(CompactionPeers.ChorusView(template));

        // What a successful run writes, measured on the ordinary disk: the sweep below leaves less and less short of it.
        string probe = Path.Combine(_root.Path, "probe");
        CompactionPeers.CopyDirectory(template, probe);
        ChorusCli.Run("compact", "--dir", probe).EnsureSuccess();
        long written = Directory.GetFiles(probe, "*_archive*.db").Sum(f => RoundUp(new FileInfo(f).Length)) + (4 * Page);
        long step = Math.Max(Page, RoundUp(written / 12));

        using SmallTmpfs disk = SmallTmpfs.Mount(Path.Combine(_root.Path, "disk"), "16m");
        var failedWhileWriting = new SortedSet<string>(StringComparer.Ordinal);

        // Coarse steps up to the first success, then page by page below it: the journal and the generation need one
        // page each after the archives, so only a page-exact sweep reaches them.
        long free = 0;
        while (!CompactWith(free))
        {
            free += step;
            Assert.True(free <= written + (64 * Page), $"compaction never succeeded with up to {free} bytes free; failures: {string.Join(", ", failedWhileWriting)}");
        }

        for (long fine = Math.Max(0, free - step + Page); fine < free; fine += Page)
        {
            CompactWith(fine);
        }

        bool CompactWith(long bytesFree)
        {
            string dir = Path.Combine(disk.Path, "metrics");
            CompactionPeers.CopyDirectory(template, dir);
            string filler = disk.Fill(bytesFree);
            string what = $"{bytesFree} bytes free";

            ProcessResult run = ChorusCli.Run("compact", "--dir", dir);
            if (run.ExitCode != 0)
            {
                Assert.True(run.ExitCode == 1, $"{what}: {run.Describe()}");
                string error = run.Stderr.Trim();
                Assert.StartsWith("chorus compact: compaction failed: ", error, StringComparison.Ordinal);
                Assert.Contains("No space left on device", error, StringComparison.Ordinal);
                Assert.DoesNotContain("\n", error, StringComparison.Ordinal);
                failedWhileWriting.Add(WrittenFileKind(error));
            }

            CompactionPeers.AssertSameView(expected, CompactionPeers.Preserved(CompactionPeers.ChorusView(dir)), $"{what}, Chorus after the run");
            CompactionPeers.AssertSameView(CompactionPeers.ChorusView(dir), CompactionPeers.PythonViews(dir)[dir], $"{what}, Python after the run");
            Assert.Equal(0, ChorusCli.Run("doctor", "--dir", dir).ExitCode);

            File.Delete(filler);
            ProcessResult next = ChorusCli.Run("compact", "--dir", dir);
            Assert.True(next.ExitCode == 0, $"{what}: the next run must recover: {next.Describe()}");
            CompactionPeers.AssertSameView(expected, CompactionPeers.Preserved(CompactionPeers.ChorusView(dir)), $"{what}, Chorus after recovery");
            CompactionPeers.AssertSameView(CompactionPeers.ChorusView(dir), CompactionPeers.PythonViews(dir)[dir], $"{what}, Python after recovery");
            Assert.Empty(Directory.GetFiles(dir, "*.chorus-*"));
            Directory.Delete(dir, recursive: true);
            return run.ExitCode == 0;
        }

        // The sweep hit the new archive and the journal at least (the generation and other steps when the sizes allow).
        Assert.Contains("temporary archive", failedWhileWriting);
        Assert.Contains("journal", failedWhileWriting);
    }

    [Fact]
    public async Task DiskFull_ServeKeepsServing_CompactsOnceThereIsRoom()
    {
        string template = Template();
        SortedDictionary<string, double> expected = CompactionPeers.Preserved(CompactionPeers.ChorusView(template));
        using SmallTmpfs disk = SmallTmpfs.Mount(Path.Combine(_root.Path, "disk"), "16m");
        string dir = Path.Combine(disk.Path, "metrics");
        CompactionPeers.CopyDirectory(template, dir);
        string filler = disk.Fill(0);

        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir, "--compact-every", "200ms");
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);
        for (int i = 0; i < 10; i++)
        {
            string text = await ScrapeClient.GetMetricsTextAsync(client);
            Assert.Contains("app_requests_total", text, StringComparison.Ordinal);
            await Task.Delay(100);
        }

        Assert.Contains("No space left on device", serve.StandardError, StringComparison.Ordinal);
        CompactionPeers.AssertSameView(expected, CompactionPeers.Preserved(CompactionPeers.ChorusView(dir)), "while the disk is full");
        int before = Directory.GetFiles(dir, "*.db").Length;

        File.Delete(filler);
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (Directory.GetFiles(dir, "*.db").Length >= before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(Directory.GetFiles(dir, "*.db").Length < before, "no compaction after space was freed: " + serve.StandardError);
        Assert.Contains("app_requests_total", await ScrapeClient.GetMetricsTextAsync(client), StringComparison.Ordinal);
        CompactionPeers.AssertSameView(expected, CompactionPeers.Preserved(CompactionPeers.ChorusView(dir)), "after space was freed");
    }

    [Fact]
    public void ReadOnlyDirectory_RunStopsClearly_ReadersUnaffected_NextRunRecovers()
    {
        string template = Template();
        SortedDictionary<string, double> expected = CompactionPeers.Preserved(CompactionPeers.ChorusView(template));
        using SmallTmpfs disk = SmallTmpfs.Mount(Path.Combine(_root.Path, "disk"), "16m");
        string dir = Path.Combine(disk.Path, "metrics");
        CompactionPeers.CopyDirectory(template, dir);
        disk.SetReadOnly(true);

        ProcessResult run = ChorusCli.Run("compact", "--dir", dir);
        Assert.True(run.ExitCode == 1, run.Describe());
        Assert.StartsWith("chorus compact: compaction failed: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, ChorusCli.Run("compact", "--dir", dir, "--dry-run").ExitCode);
        Assert.Equal(0, ChorusCli.Run("doctor", "--dir", dir).ExitCode);
        Assert.Equal(0, ChorusCli.Run("scrape", "--dir", dir).ExitCode);
        CompactionPeers.AssertSameView(expected, CompactionPeers.Preserved(CompactionPeers.ChorusView(dir)), "read-only");
        CompactionPeers.AssertSameView(CompactionPeers.ChorusView(dir), CompactionPeers.PythonViews(dir)[dir], "read-only, Python");

        disk.SetReadOnly(false);
        ChorusCli.Run("compact", "--dir", dir).EnsureSuccess();
        CompactionPeers.AssertSameView(expected, CompactionPeers.Preserved(CompactionPeers.ChorusView(dir)), "after remounting read-write");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("empty")]
    public void DamagedJournal_RunStopsClearly_DoctorSaysSo_ReadersServe(string damage)
    {
        string template = Template();
        SortedDictionary<string, double> expected = CompactionPeers.Preserved(CompactionPeers.ChorusView(template));
        string dir = Path.Combine(_root.Path, damage);
        CompactionPeers.CopyDirectory(template, dir);
        string journal = Path.Combine(dir, "chorus-compact.journal");
        File.WriteAllText(journal, damage switch
        {
            "garbage" => "\u0001\u0002 not a journal",
            "truncated" => "{\"groups\":[{\"archive\":\"counter_arch",
            _ => string.Empty,
        });
        string[] before = [.. Directory.GetFiles(dir).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

        ProcessResult run = ChorusCli.Run("compact", "--dir", dir);
        Assert.True(run.ExitCode == 1, run.Describe());
        Assert.StartsWith("chorus compact: compaction stopped: The compaction journal", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(journal, run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFiles(dir).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        ProcessResult doctor = ChorusCli.Run("doctor", "--dir", dir);
        Assert.Equal(0, doctor.ExitCode);
        Assert.Contains("unreadable (compaction refuses to run)", doctor.Stdout, StringComparison.Ordinal);
        ProcessResult scrape = ChorusCli.Run("scrape", "--dir", dir);
        Assert.True(scrape.ExitCode == 0, scrape.Describe());
        Assert.StartsWith("chorus: skipped chorus-compact.journal: ", scrape.Stderr, StringComparison.Ordinal);
        CompactionPeers.AssertSameView(CompactionPeers.ChorusView(dir), CompactionPeers.PythonViews(dir)[dir], "damaged journal, Python");
        CompactionPeers.AssertSameView(expected, CompactionPeers.Preserved(CompactionPeers.ChorusView(dir)), "damaged journal, Chorus");

        // The operator's fix (docs/operations.md, "Faults"): no compaction was under way, so the journal goes.
        File.Delete(journal);
        ChorusCli.Run("compact", "--dir", dir).EnsureSuccess();
        CompactionPeers.AssertSameView(expected, CompactionPeers.Preserved(CompactionPeers.ChorusView(dir)), "after the journal was removed");
    }

    private static long RoundUp(long bytes) => (bytes + Page - 1) / Page * Page;

    /// <summary>Which of the compactor's writes ran out of space, from the file the error names.</summary>
    private static string WrittenFileKind(string error)
    {
        string file = QuotedPath().Match(error) is { Success: true } m ? Path.GetFileName(m.Groups[1].Value) : error;
        return file switch
        {
            _ when file.EndsWith(".chorus-new", StringComparison.Ordinal) => "temporary archive",
            _ when file.StartsWith("chorus-compact.journal", StringComparison.Ordinal) => "journal",
            _ when file.StartsWith("chorus-compact.generation", StringComparison.Ordinal) => "generation",
            _ => file,
        };
    }

    private string Template()
    {
        // An archive already in place (so the backup path runs) and new dead workers to fold, as in CompactionKillTests.
        string template = Path.Combine(_root.Path, "template");
        if (!Directory.Exists(template))
        {
            Directory.CreateDirectory(template);
            CompactionPeers.RunDeadWorker(template, 11);
            CompactionPeers.RunDeadWorker(template, 12);
            ChorusCli.Run("compact", "--dir", template).EnsureSuccess();
            CompactionPeers.RunDeadWorker(template, 13);
            CompactionPeers.RunDeadWorker(template, 14);
        }

        return template;
    }

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex QuotedPath();
}
