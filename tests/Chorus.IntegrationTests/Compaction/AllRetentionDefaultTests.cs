using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Compaction;

/// <summary>
/// Bounded by default: a one-shot <c>chorus compact</c> removes a dead prometheus_client worker's <c>all</c>-mode gauge
/// file once it is unchanged for 10 minutes; <c>--all-retention never</c> keeps it (prometheus_client's behaviour).
/// </summary>
public sealed class AllRetentionDefaultTests : IDisposable
{
    private readonly TempDirectory _root = new("all-retention");

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneShotCompact_RemovesDeadAllGaugesUnchangedForTenMinutes_UnlessNever(bool never)
    {
        string dir = _root.Subdirectory(never ? "never" : "default");
        CompactionPeers.RunDeadWorker(dir, 31);
        CompactionPeers.RunDeadWorker(dir, 32);
        string[] allGauges = [.. Directory.GetFiles(dir, "gauge_all_*.db").Order(StringComparer.Ordinal)];
        Assert.Equal(2, allGauges.Length);
        File.SetLastWriteTimeUtc(allGauges[0], DateTime.UtcNow.AddMinutes(-11));

        ProcessResult result = never
            ? ChorusCli.Run("compact", "--dir", dir, "--all-retention", "never")
            : ChorusCli.Run("compact", "--dir", dir);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal(never, File.Exists(allGauges[0]));
        Assert.True(File.Exists(allGauges[1]), "a dead writer's fresh 'all' gauge is kept until the retention has passed");
        Assert.Contains(never ? "kept: retention never" : "removed once unchanged for 00:10:00", result.Stdout, StringComparison.Ordinal);
        CompactionPeers.AssertSameView(CompactionPeers.ChorusView(dir), CompactionPeers.PythonViews(dir)[dir], dir);
    }
}
