using Chorus.AspNetCore.Http;
using Chorus.Exposition;
using Microsoft.Extensions.Primitives;

namespace Chorus.Tests.AspNetCore;

public sealed class ScrapeNegotiationTests
{
    [Theory]
    [InlineData("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", ExpositionFormat.OpenMetrics)]
    [InlineData("text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=0.0.1;q=0.75", ExpositionFormat.OpenMetrics)]
    [InlineData("application/openmetrics-text;version=0.0.1", ExpositionFormat.OpenMetrics)]
    [InlineData("APPLICATION/OpenMetrics-Text", ExpositionFormat.OpenMetrics)]
    [InlineData("application/openmetrics-text;version=2.0.0", ExpositionFormat.PrometheusText)]
    [InlineData("application/openmetrics-text;q=0", ExpositionFormat.PrometheusText)]
    [InlineData("application/openmetrics-text;q=0.5,text/plain;q=0.5", ExpositionFormat.OpenMetrics)]
    [InlineData("text/plain;q=0.5,application/openmetrics-text;q=0.5", ExpositionFormat.PrometheusText)]
    [InlineData("text/plain", ExpositionFormat.PrometheusText)]
    [InlineData("*/*", ExpositionFormat.PrometheusText)]
    [InlineData("application/*", ExpositionFormat.PrometheusText)]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", ExpositionFormat.PrometheusText)]
    [InlineData("\u00ff\u0000 nonsense ;;", ExpositionFormat.PrometheusText)]
    [InlineData("", ExpositionFormat.PrometheusText)]
    public void ChooseFormat_FollowsQValuesThenHeaderOrder(string accept, ExpositionFormat expected)
    {
        Assert.Equal(expected, ScrapeNegotiation.ChooseFormat(new StringValues(accept)));
    }

    [Fact]
    public void ChooseFormat_ReadsEveryHeaderLine()
    {
        var accept = new StringValues(["text/plain;q=0.1", "application/openmetrics-text;version=1.0.0"]);

        Assert.Equal(ExpositionFormat.OpenMetrics, ScrapeNegotiation.ChooseFormat(accept));
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("GZIP", true)]
    [InlineData("x-gzip", true)]
    [InlineData("deflate, gzip;q=0.5", true)]
    [InlineData("*", true)]
    [InlineData("*;q=0", false)]
    [InlineData("gzip;q=0", false)]
    [InlineData("*, gzip;q=0", false)]
    [InlineData("br, deflate", false)]
    [InlineData("", false)]
    public void AcceptsGzip_HonoursQualityAndWildcard(string acceptEncoding, bool expected)
    {
        Assert.Equal(expected, ScrapeNegotiation.AcceptsGzip(new StringValues(acceptEncoding)));
    }
}
