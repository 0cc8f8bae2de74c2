using Chorus.IntegrationTests.Article;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>The integration tests' exposition helpers refuse what would let a defect pass: a series served twice, a sum over nothing.</summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public class ExpositionHelpersTests
{
    private const string Text = """
        # TYPE app_requests_in_progress gauge
        app_requests_in_progress{path="/slow"} 0
        app_requests_in_progress{path="/fast"} 2

        """;

    [Fact]
    public void ExpositionSamples_ASeriesServedTwice_Throws()
    {
        string twice = Text + "app_requests_in_progress{path=\"/slow\"} 0\n";

        Assert.Throws<InvalidDataException>(() => ExpositionSamples.Parse(twice));
    }

    [Fact]
    public void ExpositionSamples_SumOverAMissingName_Throws()
    {
        Dictionary<string, double> samples = ExpositionSamples.Parse(Text);

        Assert.Equal(2, ExpositionSamples.Sum(samples, "app_requests_in_progress"));
        Assert.False(ExpositionSamples.Contains(samples, "app_requests_total"));
        Assert.Throws<InvalidDataException>(() => ExpositionSamples.Sum(samples, "app_requests_total"));
    }

    [Fact]
    public void ExpositionText_SumOverAMissingFamilyOrLabel_Throws()
    {
        var text = new ExpositionText(Text);

        Assert.Equal(0, text.Sum("app_requests_in_progress", ("path", "/slow")));
        Assert.Throws<InvalidDataException>(() => text.Sum("app_requests_in_progress", ("path", "/other")));
        Assert.Throws<InvalidDataException>(() => text.Sum("app_requests_total"));
    }
}
