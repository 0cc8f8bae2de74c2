using Chorus.AspNetCore.Http;
using Chorus.Exposition;
using Microsoft.Extensions.Primitives;

namespace Chorus.Tests.AspNetCore;

public sealed class ScrapeNegotiationTests
{
    // What Prometheus 3 sends by default (content-negotiation spec, "Default Accept Header", with the spelling Prometheus uses).
    private const string PrometheusThreeAccept =
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4," +
        "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

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
        Assert.Equal(expected, ScrapeNegotiation.Choose(new StringValues(accept)).Format);
    }

    [Fact]
    public void ChooseFormat_ReadsEveryHeaderLine()
    {
        var accept = new StringValues(["text/plain;q=0.1", "application/openmetrics-text;version=1.0.0"]);

        Assert.Equal(ExpositionFormat.OpenMetrics, ScrapeNegotiation.Choose(accept).Format);
    }

    [Theory]
    [InlineData(PrometheusThreeAccept, ExpositionFormat.OpenMetrics, EscapingScheme.AllowUtf8, false)]
    [InlineData("text/plain;version=1.0.0;escaping=allow-utf-8", ExpositionFormat.PrometheusText, EscapingScheme.AllowUtf8, true)]
    [InlineData("text/plain;version=1.0.0;escaping=allow-utf8", ExpositionFormat.PrometheusText, EscapingScheme.AllowUtf8, true)]
    [InlineData("text/plain;version=1.0.0;escaping=dots", ExpositionFormat.PrometheusText, EscapingScheme.Dots, true)]
    [InlineData("text/plain;version=1.0.0;escaping=values", ExpositionFormat.PrometheusText, EscapingScheme.Values, true)]
    [InlineData("text/plain;version=1.0.0", ExpositionFormat.PrometheusText, EscapingScheme.Underscores, true)]
    [InlineData("text/plain;version=1.0.0;escaping=bogus", ExpositionFormat.PrometheusText, EscapingScheme.Underscores, true)]
    [InlineData("text/plain;version=0.0.4;escaping=allow-utf-8", ExpositionFormat.PrometheusText, EscapingScheme.Underscores, false)]
    [InlineData("text/plain;escaping=allow-utf-8", ExpositionFormat.PrometheusText, EscapingScheme.Underscores, false)]
    [InlineData("application/openmetrics-text;version=1.0.0;escaping=values", ExpositionFormat.OpenMetrics, EscapingScheme.Values, false)]
    [InlineData("application/openmetrics-text;version=1.0.0", ExpositionFormat.OpenMetrics, EscapingScheme.Underscores, false)]
    [InlineData("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.2,text/plain;version=1.0.0;escaping=dots;q=0.3", ExpositionFormat.PrometheusText, EscapingScheme.Dots, true)]
    [InlineData("", ExpositionFormat.PrometheusText, EscapingScheme.Underscores, false)]
    public void Choose_ReadsTheEscapingOfTheChosenEntry(string accept, ExpositionFormat format, EscapingScheme escaping, bool textVersion1)
    {
        Assert.Equal(new ScrapeProtocol(format, escaping, textVersion1), ScrapeNegotiation.Choose(new StringValues(accept)));
    }

    [Theory]
    [InlineData(PrometheusThreeAccept, "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8")]
    [InlineData("text/plain;version=1.0.0;escaping=allow-utf-8", "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8")]
    [InlineData("text/plain;version=1.0.0", "text/plain; version=1.0.0; charset=utf-8; escaping=underscores")]
    [InlineData("application/openmetrics-text;version=1.0.0;escaping=dots", "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots")]
    [InlineData("application/openmetrics-text;version=0.0.1", "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores")]
    [InlineData("text/plain;version=0.0.4", "text/plain; version=0.0.4; charset=utf-8")]
    [InlineData("*/*", "text/plain; version=0.0.4; charset=utf-8")]
    public void ContentType_StatesTheVersionAndTheEscapingUsed(string accept, string contentType)
    {
        Assert.Equal(contentType, ExpositionContentTypes.For(ScrapeNegotiation.Choose(new StringValues(accept))));
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
