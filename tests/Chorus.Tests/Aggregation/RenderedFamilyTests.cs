using System.Buffers;
using System.Globalization;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A family's rendering is kept for as long as the family: formatted again, it must write the same bytes the writer
/// does, in a buffer about as long as the rendering (not what doubling from a first guess left).
/// </summary>
public sealed class RenderedFamilyTests
{
    [Fact]
    public void FormattedAgain_WritesTheSameBytes_InABufferSizedToTheLastRendering()
    {
        // Lines of about 90 bytes, nearly twice the first guess per sample, so the first buffer is grown by doubling.
        var family = new FamilyState("gitlab_gauge", MetricType.Gauge, "help") { MergedIn = 1 };
        for (int s = 0; s < 20_000; s++)
        {
            string series = s.ToString(CultureInfo.InvariantCulture);
            family.Output.SampleList.Add(new Sample("gitlab_gauge", LabelSet.Create(["endpoint", "pid"], ["/api/v4/projects/" + series, "worker-" + series]), s + 0.5));
        }

        ArrayBufferWriter<byte> first = family.Rendered.Render(family.Output, mergedIn: 1, ExpositionFormat.OpenMetrics);
        Assert.Equal(Expected(family.Output), first.WrittenSpan.ToArray());
        Assert.True(first.Capacity - first.WrittenCount > first.Capacity / 8, "the first buffer is grown past its rendering");

        for (int s = 0; s < family.Output.SampleList.Count; s++)
        {
            Sample sample = family.Output.SampleList[s];
            family.Output.SampleList[s] = sample with { Value = sample.Value + 1 };
        }

        ArrayBufferWriter<byte> second = family.Rendered.Render(family.Output, mergedIn: 2, ExpositionFormat.OpenMetrics);

        Assert.Equal(Expected(family.Output), second.WrittenSpan.ToArray());
        Assert.InRange(second.Capacity, second.WrittenCount, second.WrittenCount + (second.WrittenCount / 8));
    }

    private static byte[] Expected(MetricFamily family)
    {
        var expected = new ArrayBufferWriter<byte>();
        ExpositionWriter.WriteFamily(expected, family, ExpositionFormat.OpenMetrics);
        return expected.WrittenSpan.ToArray();
    }
}
