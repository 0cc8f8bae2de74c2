using System.Buffers;
using System.Globalization;
using Chorus.Exposition;
using FsCheck;
using FsCheck.Xunit;

namespace Chorus.Tests.Exposition;

/// <summary>
/// A family's rendering patched at its changed values must be byte for byte the writer's full rendering of the new
/// samples, with the value offsets the full rendering notes, in both formats, every escaping scheme, in place or into a
/// new buffer; patched into a new buffer, the old one must stay as it was (a response may still be sending it).
/// </summary>
public sealed class RenderingPatchTests
{
    // Every spelling GoFloat has, and lengths from 3 bytes ("1.0") to 24 ("-1.7976931348623157e+308").
    private static readonly double[] s_special =
    [
        double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 0.0, 1.0, -1.5, 0.1, 1e-5, 1e+06, 999999.0,
        123456789.0, 1234567890123456789.0, 1e300, -1e300, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue,
        3.141592653589793, 42.0, 1e16, 1e17, 1e-4, 0.0001234,
    ];

    public static TheoryData<string> Families => ["gauge", "counter", "histogram", "dotted", "unit", "empty-labels"];

    [Theory]
    [MemberData(nameof(Families))]
    public void SpecialValues_EachLineInTurn_PatchToAFullRendering(string shape)
    {
        MetricFamily before = Family(shape, i => i + 0.5);
        for (int v = 0; v < s_special.Length; v++)
        {
            // Every special value lands on some line, first and last included, next to lines that keep theirs.
            int count = before.SampleList.Count;
            int[] changed = [.. new[] { 0, v % count, (v * 7) % count, count - 1 }.Distinct().Order()];
            AssertPatchIsFull(before, Edit(before, changed, (i, k) => s_special[(v + k) % s_special.Length]));
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void FirstLastEveryAndNoLine_PatchToAFullRendering(string shape)
    {
        MetricFamily before = Family(shape, i => i * 1.25);
        int count = before.SampleList.Count;
        AssertPatchIsFull(before, Edit(before, [0], (_, _) => 1e300));
        AssertPatchIsFull(before, Edit(before, [count - 1], (_, _) => double.NaN));
        AssertPatchIsFull(before, Edit(before, [0, count - 1], (_, _) => -0.0));
        AssertPatchIsFull(before, Edit(before, [.. Enumerable.Range(0, count)], (i, _) => (i * 1e5) + 0.001));
        AssertPatchIsFull(before, Edit(before, [.. Enumerable.Range(0, count)], (_, _) => 1.0));
        AssertPatchIsFull(before, Edit(before, [], (_, _) => 0));
    }

    [Fact]
    public void LinesThatGrowThenShrinkThenGrow_PatchInPlaceToAFullRendering()
    {
        // The pieces between changed values move right, then left, then right again by different amounts: in place,
        // each must move before anything is written over it.
        MetricFamily before = Family("gauge", i => i % 3 == 0 ? 1e300 : 1.0);
        int count = before.SampleList.Count;
        int[] changed = [.. Enumerable.Range(0, count).Where(i => i % 2 == 0)];
        AssertPatchIsFull(before, Edit(before, changed, (i, k) => k % 5 < 2 ? -1.7976931348623157e+308 : (k % 5 == 2 ? 1.0 : 0.5)));
        AssertPatchIsFull(before, Edit(before, changed, (i, k) => k < changed.Length / 2 ? 2.0 : double.MinValue));
        AssertPatchIsFull(before, Edit(before, changed, (i, k) => k < changed.Length / 2 ? double.MinValue : 2.0));
    }

    [Fact]
    public void PatchedIntoANewBuffer_LeavesTheOldBytesAsTheyWere()
    {
        MetricFamily before = Family("histogram", i => i);
        MetricFamily after = Edit(before, [0, 3, 17, before.SampleList.Count - 1], (_, _) => 123456.789);
        (ArrayBufferWriter<byte> rendering, int[] starts, _) = Full(before, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores);
        byte[] old = rendering.WrittenSpan.ToArray();

        ArrayBufferWriter<byte> patched = RenderingPatch.Apply(rendering, starts, after.SampleList, Changed(before, after), inPlace: false);

        Assert.NotSame(rendering, patched);
        Assert.Equal(old, rendering.WrittenSpan.ToArray());
        Assert.Equal(Full(after, ExpositionFormat.OpenMetrics, EscapingScheme.Underscores).Bytes.WrittenSpan.ToArray(), patched.WrittenSpan.ToArray());
    }

    [Fact]
    public void PatchedInPlace_WritesIntoTheSameBuffer()
    {
        MetricFamily before = Family("gauge", i => i);
        MetricFamily after = Edit(before, [1, 2], (_, _) => 7.0);
        (ArrayBufferWriter<byte> rendering, int[] starts, _) = Full(before, ExpositionFormat.PrometheusText, EscapingScheme.Underscores);

        Assert.Same(rendering, RenderingPatch.Apply(rendering, starts, after.SampleList, Changed(before, after), inPlace: true));
    }

    [Property(MaxTest = 300)]
    public bool RandomFamiliesAndEdits_PatchToAFullRendering(NonEmptyArray<double> values, int[] indices, double[] edits, byte shape, bool openMetrics, byte scheme, byte buffer)
    {
        string[] shapes = ["gauge", "counter", "histogram", "dotted", "unit", "empty-labels"];
        double[] start = values.Get;
        MetricFamily before = Family(shapes[shape % shapes.Length], i => start[i % start.Length], Math.Max(start.Length, 1));
        int count = before.SampleList.Count;
        var changes = new SortedDictionary<int, double>();
        indices ??= [];
        edits ??= [];
        for (int e = 0; e < Math.Min(indices.Length, edits.Length); e++)
        {
            changes[(int)((uint)indices[e] % (uint)count)] = edits[e];
        }

        MetricFamily after = Edit(before, [.. changes.Keys], (i, _) => changes[i]);
        ExpositionFormat format = openMetrics ? ExpositionFormat.OpenMetrics : ExpositionFormat.PrometheusText;
        EscapingScheme escaping = (EscapingScheme)(scheme % 4);
        return Patched(before, after, format, escaping, (Room)(buffer % 3)) == Full(after, format, escaping).Text;
    }

    /// <summary>The buffer a patch starts from: room to grow in place, just the rendering's length, or lent (not to be written).</summary>
    private enum Room
    {
        Roomy,
        Tight,
        Lent,
    }

    private static void AssertPatchIsFull(MetricFamily before, MetricFamily after)
    {
        foreach (ExpositionFormat format in new[] { ExpositionFormat.PrometheusText, ExpositionFormat.OpenMetrics })
        {
            foreach (EscapingScheme escaping in Enum.GetValues<EscapingScheme>())
            {
                foreach (Room room in Enum.GetValues<Room>())
                {
                    Assert.Equal(Full(after, format, escaping).Text, Patched(before, after, format, escaping, room));
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="before"/>'s full rendering patched to <paramref name="after"/>'s values, with its value offsets
    /// appended (they must be those a full rendering notes); a lent buffer must come back as it was.
    /// </summary>
    private static string Patched(MetricFamily before, MetricFamily after, ExpositionFormat format, EscapingScheme escaping, Room room)
    {
        (ArrayBufferWriter<byte> rendering, int[] starts, _) = Full(before, format, escaping);
        if (room == Room.Tight)
        {
            var tight = new ArrayBufferWriter<byte>(rendering.WrittenCount);
            tight.Write(rendering.WrittenSpan);
            rendering = tight;
        }

        byte[] old = rendering.WrittenSpan.ToArray();
        ArrayBufferWriter<byte> patched = RenderingPatch.Apply(rendering, starts, after.SampleList, Changed(before, after), inPlace: room != Room.Lent);
        if (room == Room.Lent)
        {
            Assert.Equal(old, rendering.WrittenSpan.ToArray());
        }

        return Text(patched, starts);
    }

    private static (ArrayBufferWriter<byte> Bytes, int[] Starts, string Text) Full(MetricFamily family, ExpositionFormat format, EscapingScheme escaping)
    {
        var bytes = new ArrayBufferWriter<byte>();
        int[] starts = new int[family.SampleList.Count];
        ExpositionWriter.WriteFamily(bytes, family, format, escaping, starts);
        var plain = new ArrayBufferWriter<byte>();
        ExpositionWriter.WriteFamily(plain, family, format, escaping);
        Assert.Equal(plain.WrittenSpan.ToArray(), bytes.WrittenSpan.ToArray());
        return (bytes, starts, Text(bytes, starts));
    }

    private static string Text(ArrayBufferWriter<byte> bytes, int[] starts) =>
        System.Text.Encoding.UTF8.GetString(bytes.WrittenSpan) + "starts: " + string.Join(',', starts);

    /// <summary>The indices at which <paramref name="after"/>'s values differ from <paramref name="before"/>'s (bit for bit, as the merge notes them).</summary>
    private static List<int> Changed(MetricFamily before, MetricFamily after) =>
        [.. Enumerable.Range(0, before.SampleList.Count).Where(i => BitConverter.DoubleToInt64Bits(before.SampleList[i].Value) != BitConverter.DoubleToInt64Bits(after.SampleList[i].Value))];

    /// <summary>A copy of <paramref name="family"/> with new values at <paramref name="indices"/> (value of the index and its rank among them).</summary>
    private static MetricFamily Edit(MetricFamily family, int[] indices, Func<int, int, double> value)
    {
        var edited = new MetricFamily(family.Name, family.Type, family.Help, family.Unit);
        edited.SampleList.AddRange(family.SampleList);
        for (int k = 0; k < indices.Length; k++)
        {
            edited.SampleList[indices[k]] = edited.SampleList[indices[k]] with { Value = value(indices[k], k) };
        }

        return edited;
    }

    /// <summary>A family of one of several shapes (names and labels of different lengths, classic or not), valued by index.</summary>
    private static MetricFamily Family(string shape, Func<int, double> value, int series = 40)
    {
        MetricFamily family = shape switch
        {
            "counter" => new MetricFamily("requests", MetricType.Counter, "Requests \\ \"served\".\n"),
            "histogram" => new MetricFamily("latency_seconds", MetricType.Histogram, "Latency."),
            "dotted" => new MetricFamily("my.metric", MetricType.Gauge, "Dotted."),
            "unit" => new MetricFamily("size_bytes", MetricType.Gauge, "Size.", unit: "bytes"),
            _ => new MetricFamily("queue_depth", MetricType.Gauge, "Depth."),
        };
        List<Sample> samples = family.SampleList;
        for (int s = 0; s < series; s++)
        {
            string id = new('x', s % 13);
            LabelSet labels = shape switch
            {
                "empty-labels" => LabelSet.Empty,
                "dotted" => LabelSet.Create(["a.b", "pid"], [id, s.ToString(CultureInfo.InvariantCulture)]),
                _ => LabelSet.Create(["endpoint", "pid"], ["/api/" + id + "\"\n\\", s.ToString(CultureInfo.InvariantCulture)]),
            };
            switch (shape)
            {
                case "counter":
                    samples.Add(new Sample("requests_total", labels, value(samples.Count)));
                    samples.Add(new Sample("requests_created", labels, value(samples.Count)));
                    break;
                case "histogram":
                    foreach (string le in new[] { "0.005", "0.1", "1.0", "+Inf" })
                    {
                        samples.Add(new Sample("latency_seconds_bucket", labels.With("le", le), value(samples.Count)));
                    }

                    samples.Add(new Sample("latency_seconds_count", labels, value(samples.Count)));
                    samples.Add(new Sample("latency_seconds_sum", labels, value(samples.Count)));
                    break;
                case "dotted":
                    samples.Add(new Sample(s % 2 == 0 ? "my.metric" : "my.metric_extra", labels, value(samples.Count)));
                    break;
                default:
                    samples.Add(new Sample(family.Name, labels, value(samples.Count)));
                    break;
            }
        }

        return family;
    }
}
