namespace Chorus.Tests.TestSupport;

/// <summary>The comparer every vector and peer test relies on can tell expositions apart (and only when they differ).</summary>
public class ExpositionComparerTests
{
    private const string Reference = """
        # HELP c_total Requests.
        # TYPE c_total counter
        c_total{path="/a"} 3
        c_total{path="/b"} 0.1
        # HELP h Latency.
        # TYPE h histogram
        h_bucket{le="1e+10"} 2
        h_bucket{le="+Inf"} 2
        h_sum NaN
        h_count 2

        """;

    [Fact]
    public void SameSamplesInAnotherOrder_AndTheOtherLeSpelling_Agree()
    {
        string reordered = """
            # HELP h Latency.
            # TYPE h histogram
            h_count 2
            h_sum NaN
            h_bucket{le="+Inf"} 2
            h_bucket{le="1e+010"} 2
            # HELP c_total Requests.
            # TYPE c_total counter
            c_total{path="/b"} 0.10000000000000001
            c_total{path="/a"} 3

            """;

        Assert.Empty(ExpositionComparer.Diff(Reference, reordered));
    }

    [Theory]
    [InlineData("c_total{path=\"/a\"} 3", "c_total{path=\"/a\"} 3.001", "c_total{path=\"/a\"} = 3.001, expected 3")]
    [InlineData("c_total{path=\"/a\"} 3", "c_total{path=\"/c\"} 3", "missing sample c_total{path=\"/a\"}")]
    [InlineData("c_total{path=\"/b\"} 0.1\n", "c_total{path=\"/b\"} 0.1\nc_total{path=\"/d\"} 1\n", "unexpected sample c_total{path=\"/d\"}")]
    [InlineData("h_sum NaN", "h_sum 0", "h_sum{} = 0, expected NaN")]
    [InlineData("# HELP c_total Requests.", "# HELP c_total Other.", "c_total: HELP 'Other.', expected 'Requests.'")]
    [InlineData("# TYPE h histogram", "# TYPE h summary", "h: TYPE summary")]
    public void OneChange_IsReported(string original, string changed, string expectedDiffStart)
    {
        List<string> diffs = ExpositionComparer.Diff(Reference, Reference.Replace(original, changed, StringComparison.Ordinal));

        Assert.True(diffs.Any(d => d.StartsWith(expectedDiffStart, StringComparison.Ordinal)), string.Join('\n', diffs));
    }

    [Fact]
    public void AMissingOrExtraFamily_IsReported()
    {
        string withoutHistogram = Reference[..Reference.IndexOf("# HELP h ", StringComparison.Ordinal)];

        Assert.Contains("missing family h", ExpositionComparer.Diff(Reference, withoutHistogram));
        Assert.Contains("unexpected family h", ExpositionComparer.Diff(withoutHistogram, Reference));
    }

    [Fact]
    public void ASampleServedTwice_Throws()
    {
        Assert.Throws<FormatException>(() => ExpositionComparer.Diff(Reference, Reference.Replace("h_count 2", "h_count 2\nh_count 2", StringComparison.Ordinal)));
    }
}
