using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A file parsed by path first guesses each entry's key as the one that followed the last entry's key in the last file
/// where it was seen (<c>ParsedKey.FollowedBy</c>): the guess saves a hash lookup only when the bytes equal, and a wrong
/// guess never puts a value in another key's series.
/// </summary>
public class KeyFollowedByTests
{
    [Fact]
    public void KeysInAnotherOrder_EachValueGoesToItsOwnSeries()
    {
        using var dir = new TempDirectory();
        string[] first = ["a1", "a2", "a3", "b1", "b2", "b3"];

        // b's run follows a1 here, a3 follows a1 and a2 comes last: every guess the first file taught is wrong once.
        string[] second = ["b1", "b2", "b3", "a1", "a3", "a2"];
        string[] third = ["a1", "b1", "a3", "b3", "a2", "b2"];
        Write(dir.File("counter_1.db"), first, 1.0);
        using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path);
        DirectoryFixture.Text(reader);
        Write(dir.File("counter_2.db"), second, 10.0);
        DirectoryFixture.Text(reader);
        Write(dir.File("counter_3.db"), third, 100.0);
        var (samples, _, report) = DirectoryFixture.Scrape(reader);

        Assert.Empty(report.Problems);
        foreach (string label in first)
        {
            double expected = Value(first, label, 1.0) + Value(second, label, 10.0) + Value(third, label, 100.0);
            Assert.Equal(expected, samples[$"c_total{{n=\"{label}\"}}"]);
        }
    }

    private static double Value(string[] order, string label, double scale) => scale * (Array.IndexOf(order, label) + 1);

    private static void Write(string path, string[] order, double scale)
    {
        var builder = new DbFileBuilder(capacity: 4096);
        foreach (string label in order)
        {
            builder.Add("c", "c_total", Value(order, label, scale), labels: ("n", label));
        }

        builder.WriteTo(path);
    }
}
