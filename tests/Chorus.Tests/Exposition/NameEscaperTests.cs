using Chorus.Exposition;

namespace Chorus.Tests.Exposition;

/// <summary>The escaping schemes of Prometheus's spec (docs/instrumenting/escaping_schemes.md), with its examples.</summary>
public class NameEscaperTests
{
    [Theory]
    [InlineData("metric.name/with/slashes", EscapingScheme.Underscores, "metric_name_with_slashes")]
    [InlineData("metric.name.with.dots", EscapingScheme.Dots, "metric_dot_name_dot_with_dot_dots")]
    [InlineData("metric.name", EscapingScheme.Values, "U__metric_2e_name")]
    [InlineData("my.metric_x", EscapingScheme.Dots, "my_dot_metric__x")]
    [InlineData("my.metric_x", EscapingScheme.Values, "U__my_2e_metric__x")]
    [InlineData("a-b", EscapingScheme.Dots, "a__b")]
    [InlineData("1st", EscapingScheme.Underscores, "_st")]
    [InlineData("1st", EscapingScheme.Values, "U___31_st")]
    [InlineData("température", EscapingScheme.Underscores, "temp_rature")]
    [InlineData("température", EscapingScheme.Values, "U__temp_e9_rature")]
    [InlineData("r\U0001F389s", EscapingScheme.Underscores, "r_s")]
    [InlineData("r\U0001F389s", EscapingScheme.Values, "U__r_1f389_s")]
    public void Escape_FollowsTheSpec(string name, EscapingScheme scheme, string expected)
    {
        Assert.Equal(expected, NameEscaper.Escape(name, scheme, labelName: false));
    }

    [Fact]
    public void LoneSurrogate_IsTheReplacementCharacter()
    {
        string name = "a" + (char)0xD800 + "b";

        Assert.Equal("U__a_FFFD_b", NameEscaper.Escape(name, EscapingScheme.Values, labelName: false));
        Assert.Equal("a_b", NameEscaper.Escape(name, EscapingScheme.Underscores, labelName: false));
    }

    [Theory]
    [InlineData(EscapingScheme.Underscores)]
    [InlineData(EscapingScheme.Dots)]
    [InlineData(EscapingScheme.Values)]
    public void ClassicNames_AreWrittenAsTheyAre(EscapingScheme scheme)
    {
        // client_golang escapes only names outside the classic set, in every scheme (dots too: my_metric stays).
        Assert.Equal("http_requests:rate5m", NameEscaper.Escape("http_requests:rate5m", scheme, labelName: false));
        Assert.Equal("http_method", NameEscaper.Escape("http_method", scheme, labelName: true));
    }

    [Theory]
    [InlineData("a:b", EscapingScheme.Underscores, "a_b")]
    [InlineData("http.method", EscapingScheme.Underscores, "http_method")]
    [InlineData("http.method", EscapingScheme.Dots, "http_dot_method")]
    [InlineData("a:b", EscapingScheme.Values, "U__a_3a_b")]
    public void LabelNames_HaveNoColon(string name, EscapingScheme scheme, string expected)
    {
        Assert.Equal(expected, NameEscaper.Escape(name, scheme, labelName: true));
    }

    [Theory]
    [InlineData("my.metric_bucket", EscapingScheme.Underscores, "my_metric_bucket")]
    [InlineData("my.metric_bucket", EscapingScheme.Dots, "my_dot_metric_bucket")]
    [InlineData("my.metric_total", EscapingScheme.Values, "U__my_2e_metric_total")]
    [InlineData("my.metric", EscapingScheme.Dots, "my_dot_metric")]
    public void SampleNames_KeepTheirSuffixAfterTheEscapedFamilyName(string sample, EscapingScheme scheme, string expected)
    {
        Assert.Equal(expected, NameEscaper.EscapeMetricName(sample, "my.metric", scheme));
    }

    [Theory]
    [InlineData("c", "c.x", "c_x")]
    [InlineData("other.family", "x.y_total", "x_y_total")]
    public void OddSampleNames_AreStillMadeClassic(string family, string sample, string expected)
    {
        Assert.Equal(expected, NameEscaper.EscapeMetricName(sample, family, EscapingScheme.Underscores));
    }

    [Theory]
    [InlineData("abc", true, true)]
    [InlineData("_a:b9", true, false)]
    [InlineData("9a", false, false)]
    [InlineData("a.b", false, false)]
    [InlineData("", false, false)]
    [InlineData("é", false, false)]
    public void ClassicSets(string name, bool metric, bool label)
    {
        Assert.Equal(metric, NameEscaper.IsClassicMetricName(name));
        Assert.Equal(label, NameEscaper.IsClassicLabelName(name));
    }
}
