using Chorus.Aggregation;
using Chorus.Files;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// The key table lives as long as the reader, one key per distinct series: what keys repeat (label sets across families,
/// a histogram series' labels without <c>le</c>, label names and sample names) is held once, not once per key.
/// </summary>
public sealed class KeyTableTests
{
    [Fact]
    public void KeysOfDifferentFamiliesWithTheSameLabels_ShareOneLabelSet()
    {
        var table = new KeyTable();
        ParsedKey first = Resolve(table, DbFileKind.Counter, "a", "a_total", ["controller", "action"], ["c1", "show"]);
        ParsedKey second = Resolve(table, DbFileKind.Counter, "b", "b_total", ["action", "controller"], ["show", "c1"]);
        ParsedKey other = Resolve(table, DbFileKind.Counter, "b", "b_total", ["controller", "action"], ["c2", "show"]);

        Assert.NotSame(first.Family, second.Family);
        Assert.Same(first.Labels, second.Labels);
        Assert.NotSame(first.Labels, other.Labels);
        Assert.NotEqual(first.Labels, other.Labels);

        // Label names and values (labels are sorted by name: action, controller) are held once, whichever set holds them.
        Assert.Same(first.Labels.GetName(1), other.Labels.GetName(1));
        Assert.Same(first.Labels.GetValue(0), other.Labels.GetValue(0));
    }

    [Fact]
    public void BucketsOfOneHistogramSeries_ShareTheirLabelsWithoutLe_WithTheSum()
    {
        var table = new KeyTable();
        ParsedKey low = Resolve(table, DbFileKind.Histogram, "h", "h_bucket", ["le", "route"], ["0.5", "/a"]);
        ParsedKey high = Resolve(table, DbFileKind.Histogram, "h", "h_bucket", ["le", "route"], ["+Inf", "/a"]);
        ParsedKey sum = Resolve(table, DbFileKind.Histogram, "h", "h_sum", ["route"], ["/a"]);
        ParsedKey otherRoute = Resolve(table, DbFileKind.Histogram, "h", "h_bucket", ["le", "route"], ["0.5", "/b"]);

        Assert.True(low.IsBucket);
        Assert.Equal(0.5, low.Bound);
        Assert.NotSame(low.Labels, high.Labels);
        Assert.Same(low.BaseLabels, high.BaseLabels);
        Assert.Same(low.BaseLabels, sum.Labels);
        Assert.Same(low.SampleName, high.SampleName);
        Assert.NotEqual(low.BaseLabels, otherRoute.BaseLabels);
        Assert.Equal("/b", otherRoute.BaseLabels.Find("route"));
    }

    [Fact]
    public void TheSameKeyBytes_ResolveToTheSameKey()
    {
        var table = new KeyTable();
        ParsedKey first = Resolve(table, DbFileKind.Gauge, "g", "g", ["x"], ["1"]);
        ParsedKey again = Resolve(table, DbFileKind.Gauge, "g", "g", ["x"], ["1"]);

        Assert.Same(first, again);
    }

    private static ParsedKey Resolve(KeyTable table, DbFileKind kind, string family, string sample, string[] names, string[] values)
    {
        byte[] key = DbKey.Encode(family, sample, names, values, "help");
        Assert.True(table.TryResolve(key, kind, out ParsedKey? parsed, out string? error), error);
        return parsed!;
    }
}
