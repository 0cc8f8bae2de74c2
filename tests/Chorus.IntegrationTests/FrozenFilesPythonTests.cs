using System.Buffers;
using System.Globalization;
using System.Text;
using Chorus.Aggregation;
using Chorus.Exposition;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>
/// A long-running reader freezes the files of dead prometheus_client 0.16 workers. A new process that reuses a dead
/// worker's PID (prometheus_client's pid mode) opens that worker's files and adds to them through its mappings; the
/// reader's very next scrape must show it, exactly as a fresh reader and as Python's collector do.
/// </summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class FrozenFilesPythonTests
{
    public static TheoryData<int> Seeds => [21, 22, 23];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task FrozenFilesOfADeadWorker_WrittenAgainUnderItsPid_AreSeenByTheNextScrape(int seed)
    {
        using var dir = new TempDirectory($"frozen-{seed}");
        (int[] pids, _) = await PythonPeerDifferentialTests.WriteDirectoryAsync(seed, dir.Path);
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path);
        string before = string.Empty;
        for (int i = 0; i < 3; i++)
        {
            before = Text(reader);
        }

        // Every worker exited: every file with entries is frozen.
        Assert.True(reader.Diagnostics.FrozenFileCount > 0, "no file was frozen");
        Assert.Equal(reader.LastReport.FilesRead, reader.Diagnostics.FrozenFileCount);
        Assert.Equal(0, reader.Diagnostics.LastFamiliesMerged);

        // Role 1 again, as the process its PID now names: same metrics and labels, so it adds to the values it finds.
        var reused = new Dictionary<string, string?> { ["WORKLOAD_PID"] = pids[1].ToString(CultureInfo.InvariantCulture) };
        await PythonPeer.RunWorkloadAsync(seed, 1, dir.Path, environment: reused);

        string warm = Text(reader);
        Assert.NotEqual(before, warm);
        using (MultiProcessDirectory fresh = MultiProcessDirectory.Open(dir.Path))
        {
            Assert.Equal(Text(fresh), warm);
        }

        string python = await PythonPeer.CollectAsync(dir.Path);
        ScrapeAssert.Equivalent(ScrapeModel.FromText(python), ScrapeModel.FromText(warm), $"seed {seed}, warm reader after a reused PID");
    }

    private static string Text(MultiProcessDirectory source)
    {
        var buffer = new ArrayBufferWriter<byte>();
        source.Collect(buffer, ExpositionFormat.PrometheusText);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
