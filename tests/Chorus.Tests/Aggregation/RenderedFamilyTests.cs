using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using Chorus.Aggregation;
using Chorus.Exposition;
using FsCheck.Xunit;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A family's rendering is kept for as long as the family: formatted again, it must write the same bytes the writer
/// does, in a buffer about as long as the rendering (not what doubling from a first guess left); after a merge that
/// changed only some values (<see cref="SampleEdits"/>) it is patched at those lines, never in a buffer a response still sends.
/// </summary>
public sealed class RenderedFamilyTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.1)]
    public void FirstRendering_FitsTheFamilysLengthEstimate_NotGrownFromAGuess(double fraction)
    {
        // Lines of about 90 bytes: a first guess of 48 bytes a sample was doubled twice, allocating 2.4 times the rendering.
        MetricFamily family = LongLabelFamily(20_000, fraction);
        var rendered = new RenderedFamily();
        long before = GC.GetAllocatedBytesForCurrentThread();

        ArrayBufferWriter<byte> first = rendered.Render(family, mergedIn: 1, ExpositionFormat.OpenMetrics);

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(Expected(family), first.WrittenSpan.ToArray());
        Assert.Equal(ExpositionWriter.LengthEstimate(family), first.Capacity);

        // Short decimal fractions (123.1) are estimated at full precision: growing past a short estimate would cost more.
        Assert.InRange(first.Capacity, first.WrittenCount, first.WrittenCount + (first.WrittenCount / (fraction == 0.1 ? 4 : 8)));

        // The buffer, the value offsets (four bytes a sample) and little else.
        Assert.InRange(allocated, first.Capacity, first.Capacity + (5L * family.SampleList.Count) + (64 * 1024));
    }

    [Fact]
    public void FormattedAgain_WritesTheSameBytes_InABufferSizedToTheLastRendering()
    {
        // Short lines of values far shorter than estimated (1e+16 and up take from five bytes), so the first buffer is
        // left more than an eighth empty.
        var family = new FamilyState("gitlab_gauge", MetricType.Gauge, "help") { MergedIn = 1 };
        for (int s = 0; s < 20_000; s++)
        {
            family.Output.SampleList.Add(new Sample("g", LabelSet.Create(["s"], [s.ToString(CultureInfo.InvariantCulture)]), 1e16 * (s + 1)));
        }

        ArrayBufferWriter<byte> first = family.Rendered.Render(family.Output, mergedIn: 1, ExpositionFormat.OpenMetrics);
        Assert.Equal(Expected(family.Output), first.WrittenSpan.ToArray());
        Assert.True(first.Capacity - first.WrittenCount > first.Capacity / 8, "the first buffer is left more than an eighth empty");

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

    [Fact]
    public void KeptRendering_KeepsItsVersion_UntilItsBytesChange_AndNoTwoRenderingsShareOne()
    {
        var family = new FamilyState("gitlab_gauge", MetricType.Gauge, "help") { MergedIn = 1 };
        var other = new FamilyState("gitlab_other", MetricType.Gauge, "help") { MergedIn = 1 };
        for (int s = 0; s < 2_000; s++)
        {
            LabelSet labels = LabelSet.Create(["pid"], ["worker-" + s.ToString(CultureInfo.InvariantCulture)]);
            family.Output.SampleList.Add(new Sample("gitlab_gauge", labels, s));
            other.Output.SampleList.Add(new Sample("gitlab_other", labels, s));
        }

        var output = new KeepingOutput();
        family.Rendered.WriteTo(output, family.Output, mergedIn: 1, ExpositionFormat.OpenMetrics);
        family.Rendered.WriteTo(output, family.Output, mergedIn: 1, ExpositionFormat.OpenMetrics);
        other.Rendered.WriteTo(output, other.Output, mergedIn: 1, ExpositionFormat.OpenMetrics);
        family.Rendered.WriteTo(output, family.Output, mergedIn: 1, ExpositionFormat.PrometheusText);

        // Merged again with one value changed: the rendering is patched in place, under a new version.
        family.Output.SampleList[7] = family.Output.SampleList[7] with { Value = 70 };
        family.Output.Edits.Start(1, 2);
        family.Output.Edits.Changed.Add(7);
        family.Rendered.WriteTo(output, family.Output, mergedIn: 2, ExpositionFormat.OpenMetrics);

        long[] versions = [.. output.Versions];
        Assert.All(versions, version => Assert.NotEqual(0, version));
        Assert.Equal(versions[0], versions[1]);
        Assert.Equal(4, versions.Distinct().Count());
        Assert.Equal(Expected(family.Output), output.Kept[4].Bytes.ToArray());
    }

    [Theory]
    [InlineData("gitlab_gauge")]
    [InlineData("gitlab.gauge")]
    public void ValuesChangedByAMerge_ArePatched_InEveryFormatAndScheme(string name)
    {
        MetricFamily family = Family(name, samples: 300);
        var rendered = new RenderedFamily();
        RenderEverywhere(rendered, family, mergedIn: 1);

        // Index 250 changes too but is left out of the edits: only a patch keeps its old text.
        MetricFamily expected = Copy(family);
        SetValues(expected, [0, 17, 18, 299], [double.NaN, 1e300, -0.0, 12.5]);
        SetValues(family, [0, 17, 18, 250, 299], [double.NaN, 1e300, -0.0, 7.0, 12.5]);
        family.Edits.Start(1, 2);
        family.Edits.Changed.AddRange([0, 17, 18, 299]);

        foreach (ExpositionFormat format in new[] { ExpositionFormat.PrometheusText, ExpositionFormat.OpenMetrics })
        {
            foreach (EscapingScheme escaping in Enum.GetValues<EscapingScheme>())
            {
                Assert.Equal(Expected(expected, format, escaping), rendered.Render(family, mergedIn: 2, format, escaping).WrittenSpan.ToArray());
            }
        }
    }

    [Fact]
    public void EditsFromAnotherMerge_AreFormattedAnew()
    {
        MetricFamily family = Family("gitlab_gauge", samples: 300);
        var rendered = new RenderedFamily();
        rendered.Render(family, mergedIn: 1, ExpositionFormat.OpenMetrics);
        SetValues(family, [3, 4], [100, 200]);

        // The edits lead from merge 2, which this rendering never saw (or lead nowhere): the listed change is not all.
        family.Edits.Start(2, 3);
        family.Edits.Changed.Add(3);
        Assert.Equal(Expected(family, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores), rendered.Render(family, mergedIn: 3, ExpositionFormat.OpenMetrics).WrittenSpan.ToArray());
        SetValues(family, [5, 6], [300, 400]);
        family.Edits.Start(3, 4);
        family.Edits.Changed.Add(5);
        family.Edits.Invalidate();
        Assert.Equal(Expected(family, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores), rendered.Render(family, mergedIn: 4, ExpositionFormat.OpenMetrics).WrittenSpan.ToArray());
    }

    [Fact]
    public void PatchedWhileLent_LeavesTheLentBytes_AndPatchesInPlaceOnceReleased()
    {
        MetricFamily family = Family("gitlab_gauge", samples: 2_000);
        var rendered = new RenderedFamily();
        var output = new KeepingOutput();
        rendered.WriteTo(output, family, mergedIn: 1, ExpositionFormat.OpenMetrics);
        byte[] firstExpected = Expected(family, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores);
        Assert.True(firstExpected.Length >= RenderedFamily.KeptMinimumBytes);

        // Index 1,500 changes unlisted, so the second rendering is a patch (a full one would show its new value).
        MetricFamily expected = Copy(family);
        SetValues(expected, [0, 900, 1_999], [1e300, 0.5, double.NegativeInfinity]);
        SetValues(family, [0, 900, 1_500, 1_999], [1e300, 0.5, 8.0, double.NegativeInfinity]);
        family.Edits.Start(1, 2);
        family.Edits.Changed.AddRange([0, 900, 1_999]);
        rendered.WriteTo(output, family, mergedIn: 2, ExpositionFormat.OpenMetrics);

        Assert.Equal(firstExpected, output.Kept[0].Bytes.ToArray());
        Assert.Equal(Expected(expected, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores), output.Kept[1].Bytes.ToArray());

        // Released, the buffer is patched where it is.
        output.Kept[0].Lease.Release();
        output.Kept[1].Lease.Release();
        SetValues(expected, [1_000], [-1.0]);
        SetValues(family, [1_000], [-1.0]);
        family.Edits.Start(2, 3);
        family.Edits.Changed.Add(1_000);
        ArrayBufferWriter<byte> third = rendered.Render(family, mergedIn: 3, ExpositionFormat.OpenMetrics);
        Assert.Equal(Expected(expected, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores), third.WrittenSpan.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(output.Kept[1].Bytes, out ArraySegment<byte> lent));
        Assert.True(MemoryMarshal.TryGetArray(third.WrittenMemory, out ArraySegment<byte> patched));
        Assert.Same(lent.Array, patched.Array);
    }

    [Property(MaxTest = 100)]
    public bool MergesOfRandomEdits_RenderedInRandomFormatsAndSchemes_WriteWhatTheWriterWrites(bool dotted, byte[] requests, int[] indices, double[] values, byte[] edited)
    {
        MetricFamily family = Family(dotted ? "gitlab.gauge" : "gitlab_gauge", samples: 50);
        var rendered = new RenderedFamily();
        requests ??= [];
        indices ??= [];
        values ??= [];
        edited ??= [];
        int next = 0;
        for (int merge = 1; merge <= requests.Length; merge++)
        {
            // Some merges change only values and say which (from the merge before), others leave the edits invalid.
            int changes = edited.Length > 0 ? edited[merge % edited.Length] % 8 : 0;
            var changed = new SortedSet<int>();
            for (int c = 0; c < changes && next < Math.Min(indices.Length, values.Length); c++, next++)
            {
                int index = (int)((uint)indices[next] % 50u);
                SetValues(family, [index], [values[next]]);
                changed.Add(index);
            }

            family.Edits.Start(merge - 1, merge);
            family.Edits.Changed.AddRange(changed);
            if (changes == 7)
            {
                family.Edits.Invalidate();
            }

            // One to three renderings per merge, in any format and scheme.
            for (int r = 0; r <= requests[merge - 1] % 3; r++)
            {
                byte request = (byte)(requests[merge - 1] >> (2 * r));
                ExpositionFormat format = (request & 4) == 0 ? ExpositionFormat.PrometheusText : ExpositionFormat.OpenMetrics;
                EscapingScheme escaping = (EscapingScheme)(request & 3);
                if (!rendered.Render(family, merge, format, escaping).WrittenSpan.SequenceEqual(Expected(family, format, escaping)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void RenderEverywhere(RenderedFamily rendered, MetricFamily family, int mergedIn)
    {
        foreach (ExpositionFormat format in new[] { ExpositionFormat.PrometheusText, ExpositionFormat.OpenMetrics })
        {
            foreach (EscapingScheme escaping in Enum.GetValues<EscapingScheme>())
            {
                rendered.Render(family, mergedIn, format, escaping);
            }
        }
    }

    private static MetricFamily LongLabelFamily(int samples, double fraction)
    {
        var family = new MetricFamily("gitlab_gauge", MetricType.Gauge, "help");
        for (int s = 0; s < samples; s++)
        {
            string series = s.ToString(CultureInfo.InvariantCulture);
            family.SampleList.Add(new Sample("gitlab_gauge", LabelSet.Create(["endpoint", "pid"], ["/api/v4/projects/" + series, "worker-" + series]), s + fraction));
        }

        return family;
    }

    private static MetricFamily Family(string name, int samples)
    {
        var family = new MetricFamily(name, MetricType.Gauge, "help");
        for (int s = 0; s < samples; s++)
        {
            // A dotted family has a dotted label too; the other has only classic names (its schemes share one rendering).
            family.SampleList.Add(new Sample(name, LabelSet.Create(["pid", name.Contains('.', StringComparison.Ordinal) ? "a.b" : "ab"], ["worker-" + s.ToString(CultureInfo.InvariantCulture), "x"]), s));
        }

        return family;
    }

    private static MetricFamily Copy(MetricFamily family)
    {
        var copy = new MetricFamily(family.Name, family.Type, family.Help, family.Unit);
        copy.SampleList.AddRange(family.SampleList);
        return copy;
    }

    private static void SetValues(MetricFamily family, int[] indices, double[] values)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            family.SampleList[indices[i]] = family.SampleList[indices[i]] with { Value = values[i] };
        }
    }

    private static byte[] Expected(MetricFamily family, ExpositionFormat format = ExpositionFormat.OpenMetrics, EscapingScheme escaping = EscapingScheme.Underscores)
    {
        var expected = new ArrayBufferWriter<byte>();
        ExpositionWriter.WriteFamily(expected, family, format, escaping);
        return expected.WrittenSpan.ToArray();
    }

    /// <summary>An output that keeps what it is lent, as a big host's response does until it is sent.</summary>
    private sealed class KeepingOutput : IBufferWriter<byte>, IKeptBytesOutput
    {
        private readonly ArrayBufferWriter<byte> _copied = new();

        public List<(ReadOnlyMemory<byte> Bytes, IKeptBytesLease Lease)> Kept { get; } = [];

        public List<long> Versions { get; } = [];

        public bool KeepsBytes => true;

        public void WriteKept(ReadOnlyMemory<byte> bytes, IKeptBytesLease lease, long version)
        {
            Kept.Add((bytes, lease));
            Versions.Add(version);
        }

        public void Advance(int count) => _copied.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => _copied.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => _copied.GetSpan(sizeHint);
    }
}
