using Chorus.Compaction;

namespace Chorus.Tests.Compaction;

public sealed class DirectoryDiagnosisTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Examine_MixedLayoutsAndStaleLiveGauges_AreFlaggedWithAdvice()
    {
        RandomWorkload.Write(_dir.Path, new Random(1), 2, ValueLayout.Value8, "e");
        RandomWorkload.Write(_dir.Path, new Random(2), 1, ValueLayout.ValueAndTimestamp16, "s");

        DirectoryDiagnosis diagnosis = DirectoryDiagnosis.Examine(_dir.Path);

        Assert.True(diagnosis.MixedLayouts);
        Assert.Equal(3, diagnosis.StaleLiveGauges.Count);
        Assert.Contains(diagnosis.Recommendations, r => r.Contains("8-byte and 16-byte", StringComparison.Ordinal));
        Assert.Contains(diagnosis.Recommendations, r => r.Contains("chorus compact", StringComparison.Ordinal));
        Assert.True(diagnosis.PythonScrapeEstimate.High > diagnosis.PythonScrapeEstimateAfterCompaction.High);
        Assert.True(diagnosis.ChorusColdScrape > TimeSpan.Zero);
    }

    [Fact]
    public void Examine_EmptyDirectory_IsHealthy()
    {
        DirectoryDiagnosis diagnosis = DirectoryDiagnosis.Examine(_dir.Path);

        Assert.Equal(["Healthy: nothing to do."], diagnosis.Recommendations);
    }
}
