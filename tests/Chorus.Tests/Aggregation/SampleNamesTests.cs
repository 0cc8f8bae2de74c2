using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>A family's sample names keep the numbers they were first given, past the point where lookups move to a dictionary.</summary>
public sealed class SampleNamesTests
{
    [Fact]
    public void ANameKeepsItsNumber_AcrossTheSwitchToADictionary()
    {
        var names = new SampleNames();
        List<string> given = [.. Enumerable.Range(0, 40).Select(i => "s_" + i)];
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < given.Count; i++)
            {
                Assert.Equal(i, names.NumberOf(given[i]));
                Assert.Equal(given[i], names[i]);
            }
        }

        // Equal strings that are different objects are one name.
        Assert.Equal(3, names.NumberOf(new string("s_3".AsSpan())));
    }
}
