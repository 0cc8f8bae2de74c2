using Chorus.Aggregation;
using Chorus.Files;

namespace Chorus.Tests.Aggregation;

/// <summary>prometheus_client's merge rules, one behaviour per test (reference §2–3).</summary>
public class MergeSemanticsTests
{
    [Fact]
    public void Counters_AreSummedPerLabelSet()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("c", "c_total", 1.0, labels: ("a", "x")).Add("c", "c_total", 10.0).WriteTo(dir.File("counter_1.db"));
        new DbFileBuilder().Add("c", "c_total", 2.0, labels: ("a", "x")).WriteTo(dir.File("counter_2.db"));

        var (samples, families, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(3.0, samples["c_total{a=\"x\"}"]);
        Assert.Equal(10.0, samples["c_total{}"]);
        ParsedFamily family = Assert.Single(families);
        Assert.Equal("c_total", family.Name);
        Assert.Equal("counter", family.Type);
    }

    [Fact]
    public void Summaries_SumCountAndSum()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("s", "s_count", 1.0).Add("s", "s_sum", 1.5).WriteTo(dir.File("summary_1.db"));
        new DbFileBuilder().Add("s", "s_count", 2.0).Add("s", "s_sum", 2.5).WriteTo(dir.File("summary_2.db"));

        var (samples, families, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(3.0, samples["s_count{}"]);
        Assert.Equal(4.0, samples["s_sum{}"]);
        Assert.Equal(["s_count", "s_sum"], families[0].Samples.Select(s => s.Name));
    }

    [Fact]
    public void Histograms_BecomeCumulativeOverTheUnionOfBounds()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder()
            .Add("h", "h_bucket", 1.0, labels: [("le", "1.0"), ("p", "a")])
            .Add("h", "h_bucket", 2.0, labels: [("le", "1e+010"), ("p", "a")])
            .Add("h", "h_bucket", 1.0, labels: [("le", "+Inf"), ("p", "a")])
            .Add("h", "h_sum", 7.0, labels: ("p", "a"))
            .WriteTo(dir.File("histogram_1.db"));
        new DbFileBuilder()
            .Add("h", "h_bucket", 3.0, labels: [("le", "0.5"), ("p", "a")])
            .Add("h", "h_bucket", 1.0, labels: [("le", "1e+10"), ("p", "a")])
            .Add("h", "h_bucket", 0.0, labels: [("le", "+Inf"), ("p", "a")])
            .Add("h", "h_sum", 1.0, labels: ("p", "a"))
            .WriteTo(dir.File("histogram_2.db"));

        var (_, families, _) = DirectoryFixture.Scrape(dir.Path);

        ParsedFamily family = Assert.Single(families);
        Assert.Equal(
            ["h_bucket{le=\"0.5\",p=\"a\"}=3", "h_bucket{le=\"1.0\",p=\"a\"}=4", "h_bucket{le=\"1e+10\",p=\"a\"}=7", "h_bucket{le=\"+Inf\",p=\"a\"}=8", "h_count{p=\"a\"}=8", "h_sum{p=\"a\"}=8"],
            family.Samples.Select(s => $"{s.Key}={s.Value}"));
    }

    [Fact]
    public void Histograms_WithoutAccumulate_KeepRawBucketsAndNoCount()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("h", "h_bucket", 1.0, labels: ("le", "1.0")).Add("h", "h_bucket", 2.0, labels: ("le", "+Inf")).Add("h", "h_sum", 3.0).WriteTo(dir.File("histogram_1.db"));

        var (samples, _, _) = DirectoryFixture.Scrape(dir.Path, new MultiProcessDirectoryOptions { Accumulate = false });

        Assert.Equal(2.0, samples["h_bucket{le=\"+Inf\"}"]);
        Assert.DoesNotContain("h_count{}", samples.Keys);
    }

    [Theory]
    [InlineData("all")]
    [InlineData("liveall")]
    public void GaugeAll_KeepsOneSeriesPerFileWithPidOverridingAUserPid(string mode)
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("g", "g", 1.0, labels: ("pid", "user")).WriteTo(dir.File($"gauge_{mode}_11.db"));
        new DbFileBuilder().Add("g", "g", 2.0, labels: ("pid", "user")).WriteTo(dir.File($"gauge_{mode}_22.db"));

        var (samples, _, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(2, samples.Count);
        Assert.Equal(1.0, samples["g{pid=\"11\"}"]);
        Assert.Equal(2.0, samples["g{pid=\"22\"}"]);
    }

    [Theory]
    [InlineData("min", 1.0)]
    [InlineData("livemin", 1.0)]
    [InlineData("max", 3.0)]
    [InlineData("livemax", 3.0)]
    [InlineData("sum", 6.0)]
    [InlineData("livesum", 6.0)]
    public void AggregatedGaugeModes_DropPid(string mode, double expected)
    {
        using var dir = new TempDirectory();
        double[] values = [2.0, 1.0, 3.0];
        for (int i = 0; i < values.Length; i++)
        {
            new DbFileBuilder().Add("g", "g", values[i], labels: ("pid", "user")).WriteTo(dir.File($"gauge_{mode}_{i}.db"));
        }

        var (samples, _, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(expected, Assert.Single(samples).Value);
        Assert.Equal("g{}", samples.Keys.Single());
    }

    [Theory]
    [InlineData("min")]
    [InlineData("max")]
    public void MinMax_SeedWithTheFirstValueSoANaNSeedSticks(string mode)
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("g", "g", double.NaN).WriteTo(dir.File($"gauge_{mode}_1.db"));
        new DbFileBuilder().Add("g", "g", 5.0).WriteTo(dir.File($"gauge_{mode}_2.db"));

        var (samples, _, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.True(double.IsNaN(samples["g{}"]));
    }

    [Theory]
    [InlineData("mostrecent")]
    [InlineData("livemostrecent")]
    public void MostRecent_TakesTheStrictlyNewestTimestamp(string mode)
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("g", "g", 1.0, timestamp: 200.0).WriteTo(dir.File($"gauge_{mode}_1.db"));
        new DbFileBuilder().Add("g", "g", 2.0, timestamp: 300.0).WriteTo(dir.File($"gauge_{mode}_2.db"));
        new DbFileBuilder().Add("g", "g", 3.0, timestamp: 300.0).WriteTo(dir.File($"gauge_{mode}_3.db"));

        var (samples, _, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(2.0, samples["g{}"]);
    }

    [Fact]
    public void MostRecent_NeverSet_EmitsTheFamilyWithNoSample()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("g", "g", 0.0, help: "never set").WriteTo(dir.File("gauge_mostrecent_1.db"));
        new DbFileBuilder(ValueLayout.Value8).Add("g8", "g8", 4.0).WriteTo(dir.File("gauge_mostrecent_2.db"));

        var (samples, families, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.Empty(samples);
        Assert.Equal(["g", "g8"], families.Select(f => f.Name));
        Assert.Equal("never set", families[0].Help);
    }

    [Fact]
    public void MixedGaugeModes_TheLastFileReadWins()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("g", "g", 1.0).WriteTo(dir.File("gauge_all_1.db"));
        new DbFileBuilder().Add("g", "g", 2.0).WriteTo(dir.File("gauge_sum_1.db"));

        var (samples, _, _) = DirectoryFixture.Scrape(dir.Path);

        // Files are read in name order: gauge_sum_ comes last, so the family merges as sum.
        Assert.Equal(3.0, Assert.Single(samples).Value);
    }

    [Fact]
    public void HelpComesFromTheFirstKeyAndTypeFromTheFileName()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("x", "x_total", 1.0, help: "first").WriteTo(dir.File("counter_1.db"));
        new DbFileBuilder().Add("x", "x_total", 1.0, help: "second").WriteTo(dir.File("counter_2.db"));
        new DbFileBuilder().Add("y", "y", 1.0, help: "gauge help").WriteTo(dir.File("gauge_max_1.db"));

        var (_, families, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal([("x_total", "counter", "first"), ("y", "gauge", "gauge help")], families.Select(f => (f.Name, f.Type!, f.Help!)));
    }

    [Fact]
    public void LegacyThreeElementKeys_GetTheConstantHelp()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().AddRaw("[\"c\", \"c_total\", {}]"u8.ToArray(), 2.0).WriteTo(dir.File("counter_1.db"));

        var (samples, families, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(2.0, samples["c_total{}"]);
        Assert.Equal(DbKey.LegacyHelp, families[0].Help);
    }

    [Fact]
    public void Output_IsSortedByFamilyThenLabelSet()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder().Add("b", "b_total", 1.0, labels: ("k", "2")).Add("a", "a_total", 1.0).Add("b", "b_total", 1.0, labels: ("k", "1")).WriteTo(dir.File("counter_9.db"));

        var (_, families, _) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(["a_total{}", "b_total{k=\"1\"}", "b_total{k=\"2\"}"], families.SelectMany(f => f.Samples).Select(s => s.Key));
    }
}
