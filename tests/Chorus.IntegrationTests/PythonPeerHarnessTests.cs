using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>The peer the differential tests trust is the one they claim: Debian's prometheus_client 0.16.</summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class PythonPeerHarnessTests
{
    [Fact]
    public async Task SystemPython_HasDebianPrometheusClient016()
    {
        ProcessResult result = await PythonPeer.RunScriptAsync("peer_version.py");

        Assert.True(result.ExitCode == 0, "Debian's python3-prometheus-client is required (apt-get install -y python3-prometheus-client; scripts/test.sh does it). " + result.Describe());
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0.16.0", lines[0].Trim());
        Assert.StartsWith("/usr/lib/python3/", lines[1].Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workload_WritesEveryGaugeModeOf016_AndGrowsAFilePast64KiB()
    {
        using var dir = new TempDirectory("harness");

        // Several roles together touch every mode even though each skips some metrics.
        for (int role = 0; role < 4; role++)
        {
            await PythonPeer.RunWorkloadAsync(seed: 11, role, dir.Path);
        }

        string[] names = Directory.GetFiles(dir.Path).Select(Path.GetFileName).OfType<string>().ToArray();
        foreach (string mode in new[] { "all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum" })
        {
            Assert.Contains(names, n => n.StartsWith($"gauge_{mode}_", StringComparison.Ordinal));
        }

        Assert.Contains(names, n => n.StartsWith("counter_", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("histogram_", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("summary_", StringComparison.Ordinal));
        Assert.Contains(Directory.GetFiles(dir.Path), f => new FileInfo(f).Length > 65536);
    }

    [Fact]
    public async Task Workload_MarkProcessDead_RemovesOnlyTheLiveGaugeFilesOfThatPid()
    {
        using var dir = new TempDirectory("harness-dead");
        int first = await PythonPeer.RunWorkloadAsync(seed: 5, role: 0, dir.Path);
        Assert.Contains(Directory.GetFiles(dir.Path, $"gauge_live*_{first}.db"), _ => true);

        await PythonPeer.RunWorkloadAsync(seed: 5, role: 1, dir.Path, [first]);

        Assert.Empty(Directory.GetFiles(dir.Path, $"gauge_live*_{first}.db"));
        Assert.True(File.Exists(dir.File($"counter_{first}.db")));
    }
}
