using System.Text.RegularExpressions;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>
/// prometheus_client 0.21.1 (Debian trixie's package, the 16-byte value-and-timestamp layout) as a live peer, both
/// ways: its workers write and Chorus must read exactly what its own collector reads; Chorus writes its default
/// layout and 0.21's collector must read the same samples Chorus serves.
/// </summary>
public sealed partial class NewestPythonPeerTests
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
    public void TheNewestCollector_OnAChorusDirectoryInTheDefaultLayout_EqualsChorusScrape()
    {
        using var dir = new TempDirectory("peer21-chorus");

        // A writer in slot 1 while slot 0 is held, then one in slot 0 after its holder ended: two files per type.
        using (var holder = TestChild.Start(["slot", dir.Path]))
        {
            Assert.Equal("0", holder.WaitForLineStartingWith("slot"));
            WriteAll(dir.Path);
            Assert.Equal(0, holder.WaitAfterClosingInput(TimeSpan.FromSeconds(20)).ExitCode);
        }

        WriteAll(dir.Path);
        string[] files = Directory.GetFiles(dir.Path, "*.db");
        Assert.Equal(2, Directory.GetFiles(dir.Path, "counter_*.db").Length);
        Assert.All(files, f => Assert.Equal(16, ReferenceDbFile.ReadEitherLayout(File.ReadAllBytes(f)).ValueWidth));

        (int pyExit, string python, string pyErr) = PythonPeer.Run([RepoPaths.PythonScript("writer_collect.py"), dir.Path], PythonPeer.Timeout, environment: PythonPeer.Newest);
        Assert.True(pyExit == 0, pyErr);
        (int exitCode, string chorus, string err) = ChorusCli.Run(TimeSpan.FromSeconds(60), "scrape", "--dir", dir.Path);
        Assert.True(exitCode == 0, err);

        // Python shows an info metric under its family name with the _info sample; Chorus names the family after
        // the sample, as prometheus_client's own text output does for Info. Same samples.
        string normalizedPython = InfoHeader().Replace(python, "# $1 wa_build_info ");
        List<string> diffs = ExpositionComparer.Diff(normalizedPython, chorus);
        Assert.True(diffs.Count == 0, string.Join("\n", diffs) + "\n--- python\n" + python + "\n--- chorus\n" + chorus);
        Assert.Contains("wa_requests_total{code=\"200\",route=\"/a\"} 3.0", python, StringComparison.Ordinal);
    }

    private static void WriteAll(string directory)
    {
        (int exit, string stdout, string stderr) = TestChild.Run(["write-all", directory]);
        Assert.True(exit == 0, stdout + stderr);
    }

    [GeneratedRegex(@"# (HELP|TYPE) wa_build ")]
    private static partial Regex InfoHeader();
}
