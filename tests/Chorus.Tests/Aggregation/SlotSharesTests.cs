using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// The merge per changed slot splits the changed files among threads (<see cref="SlotShares"/>) so that no two threads
/// write one family's merge state: files that hold a family in common must land in the same share.
/// </summary>
public sealed class SlotSharesTests
{
    private static readonly FamilyState Requests = new("requests", MetricType.Counter, "help");
    private static readonly FamilyState Latency = new("latency", MetricType.Histogram, "help");
    private static readonly FamilyState Memory = new("memory", MetricType.Gauge, "help");

    [Fact]
    public void FilesHoldingAFamilyInCommon_ShareAThread_OtherGroupsAreSpread()
    {
        // Two counter files and a gauge file that also holds the counter family form one group; the histograms another.
        List<FileState> files =
        [
            File("counter_1.db", 40, Requests),
            File("histogram_1.db", 50, Latency),
            File("gauge_all_1.db", 10, Memory, Requests),
            File("counter_2.db", 40, Requests),
            File("histogram_2.db", 50, Latency),
            File("gauge_all_2.db", 10, Memory),
        ];

        var shares = new SlotShares();
        int count = shares.Assign(files, generation: 7, minimumChanges: 0);
        int[] shareOf = shares.ShareOf;

        // One core runs everything itself (the machines this suite runs on have two or more).
        Assert.Equal(Math.Min(2, Environment.ProcessorCount), count);
        if (count == 1)
        {
            return;
        }

        Assert.All(new[] { 2, 3, 5 }, f => Assert.Equal(shareOf[0], shareOf[f]));
        Assert.Equal(shareOf[1], shareOf[4]);
        Assert.NotEqual(shareOf[0], shareOf[1]);
    }

    [Fact]
    public void FewChanges_OrOneGroup_StayOnOneThread()
    {
        List<FileState> twoGroups = [File("counter_1.db", 10, Requests), File("histogram_1.db", 10, Latency)];
        List<FileState> oneGroup = [File("counter_1.db", 500, Requests), File("counter_2.db", 500, Requests)];
        var shares = new SlotShares();

        Assert.Equal(1, shares.Assign(twoGroups, generation: 3, minimumChanges: 21));
        Assert.Equal(1, shares.Assign(oneGroup, generation: 4, minimumChanges: 0));
    }

    private static FileState File(string name, int changes, params FamilyState[] families)
    {
        var file = new FileState(name, name) { Changes = new ChangedValues() };
        file.Families.AddRange(families);
        file.Changes.Restart(1);
        for (int i = 0; i < changes; i++)
        {
            file.Changes.Add(i, 0.0, 1.0);
        }

        return file;
    }
}
