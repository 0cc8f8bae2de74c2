using Chorus.IntegrationTests.Compaction;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>
/// prometheus_client 0.21.1 (Debian trixie's package, the 16-byte value-and-timestamp layout) as a live peer: its
/// workers write and Chorus must read exactly what its own collector reads. The other way (Chorus's default layout
/// read by 0.21's collector) is in <see cref="Writer.PythonPeerTests"/>.
/// </summary>
public sealed class NewestPythonPeerTests
{
    public static TheoryData<int> Seeds => [21, 22, 23];

    [Fact]
    public async Task ThePeer_IsPrometheusClient021FromTheRepository()
    {
        ProcessResult result = (await PythonPeer.RunScriptAsync(PythonPeer.Newest, "peer_version.py")).EnsureSuccess();
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("0.21.1", lines[0]);
        Assert.StartsWith(RepoPaths.PrometheusClient021, lines[1], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Scrape_MatchesTheNewestCollector_OnADirectoryItsWorkersWrote(int seed)
    {
        using var dir = new TempDirectory($"peer21-{seed}");
        await PythonPeerDifferentialTests.WriteDirectoryAsync(seed, dir.Path, PythonPeer.Newest);

        // The workers really wrote the 16-byte layout, and the mostrecent gauges only it has.
        string[] files = Directory.GetFiles(dir.Path, "*.db");
        Assert.All(files, f => Assert.Equal(16, ReferenceDbFile.ReadEitherLayout(File.ReadAllBytes(f)).ValueWidth));
        Assert.Contains(files, f => Path.GetFileName(f).StartsWith("gauge_mostrecent_", StringComparison.Ordinal));

        string python = await PythonPeer.CollectAsync(dir.Path, environment: PythonPeer.Newest);
        ProcessResult chorus = (await ChorusCli.ScrapeAsync(dir.Path)).EnsureSuccess();

        Assert.True(chorus.Stderr.Length == 0, $"no file of a Python-written directory is damaged, yet chorus reported:\n{chorus.Stderr}");
        ScrapeAssert.Equivalent(ScrapeModel.FromText(python), ScrapeModel.FromText(chorus.Stdout), $"seed {seed} (0.21)");
    }

    [Fact]
    public async Task ScrapeOpenMetrics_MatchesTheNewestOpenMetricsWriter()
    {
        using var dir = new TempDirectory("peer21-om");
        await PythonPeerDifferentialTests.WriteDirectoryAsync(24, dir.Path, PythonPeer.Newest);

        string python = await PythonPeer.CollectAsync(dir.Path, "openmetrics", PythonPeer.Newest);
        ProcessResult chorus = (await ChorusCli.ScrapeAsync(dir.Path, "openmetrics")).EnsureSuccess();

        ScrapeAssert.Equivalent(ScrapeModel.FromText(python), ScrapeModel.FromText(chorus.Stdout), "seed 24 (0.21, OpenMetrics)");
    }

    [Fact]
    public void Compaction_OfFilesTheNewestWorkersWrote_TheNewestCollectorAgrees()
    {
        using var dir = new TempDirectory("peer21-compact");
        for (int seed = 1; seed <= 4; seed++)
        {
            CompactionPeers.RunDeadWorker(PythonPeer.Newest, dir.Path, seed);
        }

        Assert.All(Directory.GetFiles(dir.Path, "*.db"), f => Assert.Equal(16, ReferenceDbFile.ReadEitherLayout(File.ReadAllBytes(f)).ValueWidth));
        var before = CompactionPeers.ChorusView(dir.Path);
        CompactionPeers.AssertSameView(before, CompactionPeers.PythonViews(PythonPeer.Newest, dir.Path)[dir.Path], "Chorus vs 0.21 before");

        (int code, string stdout, string stderr) = ChorusCli.Run("compact", "--dir", dir.Path);

        Assert.True(code == 0, stdout + stderr);
        Assert.NotEmpty(Directory.GetFiles(dir.Path, "counter_archive*.db"));
        var after = CompactionPeers.ChorusView(dir.Path);
        CompactionPeers.AssertSameView(CompactionPeers.Preserved(before), CompactionPeers.Preserved(after), "Chorus before vs after");
        CompactionPeers.AssertSameView(after, CompactionPeers.PythonViews(PythonPeer.Newest, dir.Path)[dir.Path], "Chorus vs 0.21 after");
    }
}
