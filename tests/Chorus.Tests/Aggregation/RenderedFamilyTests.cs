using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
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

    [Fact]
    public void KeptRendering_IsNotOverwritten_WhileLent_AndItsBufferIsReusedOnceReleased()
    {
        var family = new FamilyState("gitlab_gauge", MetricType.Gauge, "help") { MergedIn = 1 };
        for (int s = 0; s < 2_000; s++)
        {
            family.Output.SampleList.Add(new Sample("gitlab_gauge", LabelSet.Create(["pid"], ["worker-" + s.ToString(CultureInfo.InvariantCulture)]), s));
        }

        // Formatted twice first, so its buffer is already fitted and would be formatted into again in place.
        family.Rendered.Render(family.Output, mergedIn: 0, ExpositionFormat.OpenMetrics);
        var output = new KeepingOutput();
        family.Rendered.WriteTo(output, family.Output, mergedIn: 1, ExpositionFormat.OpenMetrics);
        byte[] firstExpected = Expected(family.Output);
        Assert.True(firstExpected.Length >= RenderedFamily.KeptMinimumBytes);
        (ReadOnlyMemory<byte> first, IKeptBytesLease firstLease) = Assert.Single(output.Kept);

        for (int s = 0; s < family.Output.SampleList.Count; s++)
        {
            Sample sample = family.Output.SampleList[s];
            family.Output.SampleList[s] = sample with { Value = sample.Value + 1 };
        }

        // Formatted again while a response still sends the first rendering: it must stay as it was.
        family.Rendered.WriteTo(output, family.Output, mergedIn: 2, ExpositionFormat.OpenMetrics);
        Assert.Equal(firstExpected, first.ToArray());
        Assert.Equal(Expected(family.Output), output.Kept[1].Bytes.ToArray());

        // Once released, the buffer is formatted into again instead of a new one.
        firstLease.Release();
        output.Kept[1].Lease.Release();
        ArrayBufferWriter<byte> third = family.Rendered.Render(family.Output, mergedIn: 3, ExpositionFormat.OpenMetrics);
        Assert.True(MemoryMarshal.TryGetArray(output.Kept[1].Bytes, out ArraySegment<byte> lent));
        Assert.True(MemoryMarshal.TryGetArray(third.WrittenMemory, out ArraySegment<byte> reused));
        Assert.Same(lent.Array, reused.Array);
    }

    private static byte[] Expected(MetricFamily family)
    {
        var expected = new ArrayBufferWriter<byte>();
        ExpositionWriter.WriteFamily(expected, family, ExpositionFormat.OpenMetrics);
        return expected.WrittenSpan.ToArray();
    }

    /// <summary>An output that keeps what it is lent, as a big host's response does until it is sent.</summary>
    private sealed class KeepingOutput : IBufferWriter<byte>, IKeptBytesOutput
    {
        private readonly ArrayBufferWriter<byte> _copied = new();

        public List<(ReadOnlyMemory<byte> Bytes, IKeptBytesLease Lease)> Kept { get; } = [];

        public bool KeepsBytes => true;

        public void WriteKept(ReadOnlyMemory<byte> bytes, IKeptBytesLease lease) => Kept.Add((bytes, lease));

        public void Advance(int count) => _copied.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => _copied.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => _copied.GetSpan(sizeHint);
    }
}
