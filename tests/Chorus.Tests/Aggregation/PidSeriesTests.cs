using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A gauge in a mode that keeps each process's series (<c>all</c>, <c>liveall</c>) has one series per key and writer: each
/// keeps its key's labels, shared by every writer, and its file's pid, not a label set of both (<see cref="PidLabels"/>).
/// Output, order and what callers see must be what a set of both gives.
/// </summary>
public sealed class PidSeriesTests
{
    [Fact]
    public void AllGaugeSeries_ShareTheirKeysLabels_AndAreWrittenWithTheirPid()
    {
        using var dir = new TempDirectory();
        foreach (string pid in new[] { "20", "100", "3" })
        {
            new DbFileBuilder()
                .Add("g", "g", double.Parse(pid, System.Globalization.CultureInfo.InvariantCulture), labels: ("kind", "heap"))
                .Add("g", "g", 1.5, labels: [("kind", "stack"), ("zone", "a\"b")])
                .Add("g", "g", 7.0, labels: ("pid", "user"))
                .WriteTo(dir.File($"gauge_all_{pid}.db"));
        }

        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        string text = DirectoryFixture.Text(source);

        // Sorted by the labels with the pid, ordinal (as prometheus_client's output is); a key's own pid label is replaced.
        Assert.Equal(
            """
            # HELP g help
            # TYPE g gauge
            g{kind="heap",pid="100"} 100.0
            g{kind="heap",pid="20"} 20.0
            g{kind="heap",pid="3"} 3.0
            g{kind="stack",pid="100",zone="a\"b"} 1.5
            g{kind="stack",pid="20",zone="a\"b"} 1.5
            g{kind="stack",pid="3",zone="a\"b"} 1.5
            g{pid="100"} 7.0
            g{pid="20"} 7.0
            g{pid="3"} 7.0

            """.ReplaceLineEndings("\n"),
            text);

        MetricFamily family = Assert.Single(source.Diagnostics.LastFamilies, f => f.Name == "g");
        List<Sample> held = family.SampleList;
        Assert.Same(held[0].Labels, held[1].Labels);
        Assert.Same(held[3].Labels, held[5].Labels);
        Assert.Equal(["100", "20", "3", "100", "20", "3", null, null, null], family.SamplePids!);
        Assert.Equal(LabelSet.Create(["kind", "pid"], ["heap", "100"]), family.Samples[0].Labels);
        Assert.Equal(LabelSet.Create(["pid"], ["3"]), family.Samples[8].Labels);
        Assert.Equal(family.Samples, Assert.Single(source.CollectFamilies(), f => f.Name == "g").Samples);
    }

    [Fact]
    public void AFamilyWhoseFilesLoseTheirPids_LetsThePidsGo()
    {
        using var dir = new TempDirectory();
        string file = new DbFileBuilder().Add("g", "g", 1.0, labels: ("kind", "heap")).WriteTo(dir.File("gauge_all_7.db"));
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        Assert.Contains("g{kind=\"heap\",pid=\"7\"} 1.0\n", DirectoryFixture.Text(source), StringComparison.Ordinal);

        // The same family summed over processes: its series carry no pid.
        File.Move(file, dir.File("gauge_livesum_7.db"));
        Assert.Contains("g{kind=\"heap\"} 1.0\n", DirectoryFixture.Text(source), StringComparison.Ordinal);
        Assert.Null(Assert.Single(source.Diagnostics.LastFamilies, f => f.Name == "g").SamplePids);
    }
}
