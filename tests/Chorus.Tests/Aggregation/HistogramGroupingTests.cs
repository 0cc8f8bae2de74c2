using System.Buffers;
using System.Text;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A histogram's samples stay together per label set, in both formats (prometheus_client 0.16 to 0.23 printed every
/// label set's <c>_sum</c> first, which is invalid OpenMetrics: issue #1147, fixed in 0.24 by #1148). Chorus writes each
/// label set's buckets (ascending), then <c>_count</c>, then <c>_sum</c>, as prometheus_client's in-process histogram
/// and client_golang order them.
/// </summary>
public class HistogramGroupingTests
{
    private const string View1 =
        "h_bucket{le=\"1.0\",view=\"view1\"} 1.0\n" +
        "h_bucket{le=\"5.0\",view=\"view1\"} 2.0\n" +
        "h_bucket{le=\"+Inf\",view=\"view1\"} 2.0\n" +
        "h_count{view=\"view1\"} 2.0\n" +
        "h_sum{view=\"view1\"} 6.0\n";

    private const string View2 =
        "h_bucket{le=\"1.0\",view=\"view2\"} 1.0\n" +
        "h_bucket{le=\"5.0\",view=\"view2\"} 1.0\n" +
        "h_bucket{le=\"+Inf\",view=\"view2\"} 1.0\n" +
        "h_count{view=\"view2\"} 1.0\n" +
        "h_sum{view=\"view2\"} 1.0\n";

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText)]
    [InlineData(ExpositionFormat.OpenMetrics)]
    public void MergedHistogram_KeepsEachLabelSetTogether(ExpositionFormat format)
    {
        // prometheus_client's test_collect_histogram_ordering: pid 0 observes 1 in view1; pid 1 observes 5 in view1 and 1 in view2.
        // Each process writes _sum first, then its buckets (non-cumulative), as prometheus_client does.
        using var dir = new TempDirectory();
        new DbFileBuilder()
            .Add("h", "h_sum", 1.0, labels: ("view", "view1"))
            .Add("h", "h_bucket", 1.0, labels: [("view", "view1"), ("le", "1.0")])
            .Add("h", "h_bucket", 0.0, labels: [("view", "view1"), ("le", "5.0")])
            .Add("h", "h_bucket", 0.0, labels: [("view", "view1"), ("le", "+Inf")])
            .WriteTo(dir.File("histogram_100.db"));
        new DbFileBuilder()
            .Add("h", "h_sum", 5.0, labels: ("view", "view1"))
            .Add("h", "h_bucket", 0.0, labels: [("view", "view1"), ("le", "1.0")])
            .Add("h", "h_bucket", 1.0, labels: [("view", "view1"), ("le", "5.0")])
            .Add("h", "h_bucket", 0.0, labels: [("view", "view1"), ("le", "+Inf")])
            .Add("h", "h_sum", 1.0, labels: ("view", "view2"))
            .Add("h", "h_bucket", 1.0, labels: [("view", "view2"), ("le", "1.0")])
            .Add("h", "h_bucket", 0.0, labels: [("view", "view2"), ("le", "5.0")])
            .Add("h", "h_bucket", 0.0, labels: [("view", "view2"), ("le", "+Inf")])
            .WriteTo(dir.File("histogram_101.db"));

        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        string text = DirectoryFixture.Text(source, format);

        Assert.Equal(View1 + View2, SampleLines(text));
        AssertGroupsContiguous(text);
        if (format == ExpositionFormat.PrometheusText)
        {
            Promtool.AssertValid(text);
        }
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText)]
    [InlineData(ExpositionFormat.OpenMetrics)]
    public void InProcessHistogram_KeepsEachLabelSetTogether(ExpositionFormat format)
    {
        MetricRegistry registry = Chorus.Metrics.NewCustomRegistry();
        Histogram histogram = registry.CreateHistogram("h", "H.", new HistogramConfiguration { LabelNames = ["view"], Buckets = [1.0, 5.0] });
        histogram.WithLabels("view1").Observe(1);
        histogram.WithLabels("view2").Observe(1);
        histogram.WithLabels("view1").Observe(5);
        var buffer = new ArrayBufferWriter<byte>();

        registry.Collect(buffer, format);

        // The registry's children come in no set order; each one's samples must still be one block.
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        string lines = SampleLines(text);
        Assert.Equal((View1 + View2).Length, lines.Length);
        Assert.Contains(View1, lines, StringComparison.Ordinal);
        Assert.Contains(View2, lines, StringComparison.Ordinal);
        AssertGroupsContiguous(text);
    }

    private static string SampleLines(string exposition) =>
        string.Concat(exposition.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l + "\n"));

    // Once a label set's samples end, none of them may appear again (OpenMetrics: "MetricPoints must not be interleaved").
    private static void AssertGroupsContiguous(string exposition)
    {
        var finished = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        foreach (ParsedSample sample in ExpositionParser.Parse(exposition).SelectMany(f => f.Samples))
        {
            string group = string.Join(",", sample.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value));
            if (group != current)
            {
                Assert.True(finished.Add(group), $"the samples of {{{group}}} are split: {sample.Name} comes after another label set's samples");
                current = group;
            }
        }
    }
}
