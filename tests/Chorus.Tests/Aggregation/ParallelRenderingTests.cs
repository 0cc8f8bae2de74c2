using System.Buffers;
using System.Globalization;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A collection with many samples formats its families on several threads before writing them in order: the bytes
/// must be those of formatting the merged families one after another, in every format and escaping scheme, and a
/// collection that merges only some families again must still write the others' earlier bytes.
/// </summary>
public sealed class ParallelRenderingTests
{
    [Fact]
    public void FamiliesFormattedInParallel_WriteWhatOneThreadWrites()
    {
        using var dir = new TempDirectory();
        foreach (string family in new[] { "a", "b", "c", "d" })
        {
            var builder = new DbFileBuilder(ValueLayout.Value8, capacity: 1 << 20);
            for (int s = 0; s < 2000; s++)
            {
                builder.Add(family, family + "_total", s * 0.25, labels: [("series", s.ToString(CultureInfo.InvariantCulture)), ("dotted.name", "v")]);
            }

            builder.WriteTo(dir.File($"counter_{family}.db"));
        }

        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        foreach (ExpositionFormat format in new[] { ExpositionFormat.PrometheusText, ExpositionFormat.OpenMetrics })
        {
            foreach (EscapingScheme escaping in Enum.GetValues<EscapingScheme>())
            {
                var written = new ArrayBufferWriter<byte>();
                source.Collect(written, format, escaping);
                var expected = new ArrayBufferWriter<byte>();
                ExpositionWriter.Write(expected, source.CollectFamilies(), format, escaping);

                Assert.True(written.WrittenCount > 4 * 2000 * 20);
                Assert.Equal(expected.WrittenSpan.ToArray(), written.WrittenSpan.ToArray());
            }
        }

        // One family changes: it is formatted again, the others are written from before.
        new DbFileBuilder(ValueLayout.Value8).Add("b", "b_total", 1.0, labels: ("series", "new")).WriteTo(dir.File("counter_e.db"));
        var next = new ArrayBufferWriter<byte>();
        source.Collect(next, ExpositionFormat.PrometheusText, EscapingScheme.Underscores);
        var expectedNext = new ArrayBufferWriter<byte>();
        ExpositionWriter.Write(expectedNext, source.CollectFamilies(), ExpositionFormat.PrometheusText, EscapingScheme.Underscores);
        Assert.Equal(expectedNext.WrittenSpan.ToArray(), next.WrittenSpan.ToArray());
    }

    [Fact]
    public void ManySamples_AreFormattedAhead_SmallCollectionsAreLeftToTheWriter()
    {
        List<FamilyState> big = Families(count: 3, samples: 3000);
        ParallelRendering.RenderStale(big, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores);
        foreach (FamilyState family in big)
        {
            Assert.False(family.Rendered.NeedsRendering(family.MergedIn, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores));
            Assert.True(family.Rendered.NeedsRendering(family.MergedIn, ExpositionFormat.PrometheusText, EscapingScheme.Underscores));
            var expected = new ArrayBufferWriter<byte>();
            ExpositionWriter.WriteFamily(expected, family.Output, ExpositionFormat.OpenMetrics);
            var written = new ArrayBufferWriter<byte>();
            family.Rendered.WriteTo(written, family.Output, family.MergedIn, ExpositionFormat.OpenMetrics);
            Assert.Equal(expected.WrittenSpan.ToArray(), written.WrittenSpan.ToArray());
        }

        List<FamilyState> small = Families(count: 3, samples: 10);
        ParallelRendering.RenderStale(small, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores);
        Assert.All(small, family => Assert.True(family.Rendered.NeedsRendering(family.MergedIn, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores)));
    }

    [Fact]
    public void FamiliesToPatch_AreWeighedByTheirChangedLines()
    {
        // 9,000 samples to format in full are worth other threads; one changed value per family is not.
        List<FamilyState> families = Families(count: 3, samples: 3000);
        ParallelRendering.RenderStale(families, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores);
        foreach (FamilyState family in families)
        {
            family.Output.SampleList[7] = family.Output.SampleList[7] with { Value = -1 };
            family.Output.Edits.Start(1, 2);
            family.Output.Edits.Changed.Add(7);
            family.MergedIn = 2;
        }

        ParallelRendering.RenderStale(families, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores);
        Assert.All(families, family => Assert.True(family.Rendered.NeedsRendering(family.MergedIn, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores)));

        // Every value changed: the patches are worth other threads again.
        foreach (FamilyState family in families)
        {
            family.Output.Edits.Changed.AddRange(Enumerable.Range(8, 2992));
        }

        ParallelRendering.RenderStale(families, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores);
        Assert.All(families, family => Assert.False(family.Rendered.NeedsRendering(family.MergedIn, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores)));
    }

    private static List<FamilyState> Families(int count, int samples)
    {
        var families = new List<FamilyState>();
        for (int f = 0; f < count; f++)
        {
            var family = new FamilyState($"f{f}", MetricType.Gauge, "help") { MergedIn = 1 };
            for (int s = 0; s < samples; s++)
            {
                family.Output.SampleList.Add(new Sample($"f{f}", LabelSet.Create([new("pid", s.ToString(CultureInfo.InvariantCulture))]), s + 0.5));
            }

            families.Add(family);
        }

        return families;
    }
}
