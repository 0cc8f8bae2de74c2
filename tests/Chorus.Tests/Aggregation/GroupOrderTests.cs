using Chorus.Aggregation;
using Chorus.Exposition;
using FsCheck.Xunit;

namespace Chorus.Tests.Aggregation;

/// <summary>A family's label groups sorted by rank keys come out exactly as sorted by comparing their label sets.</summary>
public sealed class GroupOrderTests
{
    private static readonly string[] Values = ["", "a", "a\"b", "b", "ba", "worker-10", "worker-2", "é", "100000", "99999"];

    [Property(MaxTest = 200)]
    public bool Sort_EqualsTheLabelSetOrder(int seed)
    {
        var random = new Random(seed);
        List<OutputGroup> groups = RandomGroups(random, sameNames: random.Next(4) != 0);
        var expected = new List<OutputGroup>(groups);
        expected.Sort(static (a, b) => a.Labels.CompareTo(b.Labels));

        GroupOrder.Sort(groups);
        return groups.SequenceEqual(expected);
    }

    [Fact]
    public void Sort_RanksEqualValuesOfDifferentInstancesAlike()
    {
        // Were the two "a"s ranked apart, the second position would never be compared and ("a", "z") could come first.
        string[] names = ["x", "y"];
        var groups = new List<OutputGroup>
        {
            new LabelGroup(LabelSet.Create(names, [new string('a', 1), "z"])),
            new SeriesSlot(LabelSet.Create(names, [new string('a', 1), "b"]), 0),
            new LabelGroup(LabelSet.Create(names, ["0", "z"])),
        };

        GroupOrder.Sort(groups);

        Assert.Equal(["0,z", "a,b", "a,z"], groups.Select(g => g.Labels.GetValue(0) + "," + g.Labels.GetValue(1)));
    }

    private static List<OutputGroup> RandomGroups(Random random, bool sameNames)
    {
        string[][] nameSets = [["a"], ["a", "pid"], ["le", "path", "pid"], ["b", "c"]];
        string[] names = nameSets[random.Next(nameSets.Length)];
        var seen = new HashSet<LabelSet>();
        var groups = new List<OutputGroup>();
        int count = random.Next(0, 60);
        for (int i = 0; i < count; i++)
        {
            string[] these = sameNames ? names : nameSets[random.Next(nameSets.Length)];

            // New instances half the time: equal values need not be one string.
            string[] values = [.. these.Select(_ => Values[random.Next(Values.Length)]).Select(v => random.Next(2) == 0 ? v : new string(v.AsSpan()))];
            LabelSet labels = LabelSet.Create(these, values);
            if (seen.Add(labels))
            {
                groups.Add(random.Next(2) == 0 ? new LabelGroup(labels) : new SeriesSlot(labels, 0));
            }
        }

        return groups;
    }
}
