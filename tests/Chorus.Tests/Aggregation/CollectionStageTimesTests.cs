using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>The per-stage timing of a collection (CHORUS_DEBUG_STAGE_TIMES) names the stages each collection went through.</summary>
public class CollectionStageTimesTests
{
    [Fact]
    public void EachCollection_TimesItsOwnStages()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder(capacity: 4096).Add("c", "c_total", 1.0).WriteTo(dir.File("counter_4100001.db"));
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path);
        DirectoryFixture.Text(reader);
        DirectoryFixture.Text(reader);

        // A new file is read in full by the next collection, once.
        new DbFileBuilder(capacity: 4096).Add("c", "c_total", 2.0).WriteTo(dir.File("counter_4100002.db"));
        Assert.Contains("c_total 3.0", DirectoryFixture.Text(reader), StringComparison.Ordinal);
        CollectionStageTimes times = reader.Diagnostics.LastStageTimes;
        Assert.Equal(1, times.CountOf(CollectionStage.Listing));
        Assert.Equal(1, times.CountOf(CollectionStage.FullRead));
        Assert.Equal(1, times.CountOf(CollectionStage.Render));
        Assert.Matches(@"^chorus stages us: Watch=\d+\.\d .* FullRead=\d+\.\d .* Render=\d+\.\d$", times.ToString());

        // Nothing new: no file is read in full, and the times are the last collection's only.
        DirectoryFixture.Text(reader);
        Assert.Equal(0, reader.Diagnostics.LastStageTimes.CountOf(CollectionStage.FullRead));
        Assert.Equal(1, reader.Diagnostics.LastStageTimes.CountOf(CollectionStage.Listing));
    }
}
