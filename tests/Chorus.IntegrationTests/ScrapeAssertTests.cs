using Chorus.IntegrationTests.Support;
using Xunit.Sdk;

namespace Chorus.IntegrationTests;

/// <summary>The differential comparison itself: it must fail on real differences and only on those.</summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class ScrapeAssertTests
{
    private const string Python = """
        # HELP h_seconds Latency.
        # TYPE h_seconds histogram
        h_seconds_sum{path="/a"} 1.5
        h_seconds_bucket{le="1e+010",path="/a"} 2.0
        h_seconds_bucket{le="+Inf",path="/a"} 2.0
        h_seconds_count{path="/a"} 2.0
        # HELP g Gauge.
        # TYPE g gauge
        g{pid="12"} NaN

        """;

    [Fact]
    public void SameSamplesInAnotherOrderAndSpelling_AreEquivalent()
    {
        const string chorus = """
            # HELP g Gauge.
            # TYPE g gauge
            g{pid="12"} NaN
            # HELP h_seconds Latency.
            # TYPE h_seconds histogram
            h_seconds_bucket{path="/a",le="1e+10"} 2
            h_seconds_bucket{path="/a",le="+Inf"} 2
            h_seconds_count{path="/a"} 2
            h_seconds_sum{path="/a"} 1.5000000000000002

            """;

        ScrapeAssert.Equivalent(ScrapeModel.FromText(Python), ScrapeModel.FromText(chorus), "reordered");
    }

    [Theory]
    [InlineData("h_seconds_sum{path=\"/a\"} 1.5", "h_seconds_sum{path=\"/a\"} 1.6")]
    [InlineData("h_seconds_count{path=\"/a\"} 2.0\n", "")]
    [InlineData("g{pid=\"12\"} NaN", "g{pid=\"13\"} NaN")]
    [InlineData("g{pid=\"12\"} NaN", "g{pid=\"12\"} +Inf")]
    [InlineData("# HELP g Gauge.", "# HELP g Gauge!")]
    [InlineData("# TYPE g gauge", "# TYPE g untyped")]
    [InlineData("g{pid=\"12\"} NaN", "g{pid=\"12\"} NaN\ng{pid=\"12\"} NaN")]
    public void AnyRealDifference_Fails(string original, string replacement)
    {
        string chorus = Python.Replace(original, replacement, StringComparison.Ordinal);
        Assert.NotEqual(Python, chorus);

        Assert.Throws<FailException>(() => ScrapeAssert.Equivalent(ScrapeModel.FromText(Python), ScrapeModel.FromText(chorus), "mutated"));
    }
}
