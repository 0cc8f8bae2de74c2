using System.Buffers;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Benchmarks;

/// <summary>
/// The render stage of a warm GitLab-sized collection, in process and on one thread: the families of
/// <c>bench/gitlab/gen_host.py</c>'s merged output (295,800 samples, about 22 MB of text 0.0.4) after a merge that
/// changed 2.5 % of the values, formatted in full against patched at the changed lines (in place, and into a new buffer
/// while a response still sends the old one).
/// Run: <c>dotnet run -c Release --project bench/Chorus.Benchmarks -- --filter *RenderingPatch*</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class RenderingPatchBenchmarks
{
    private const double ChangedShare = 0.025;

    private static readonly string[] s_buckets = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"];

    private readonly List<MetricFamily> _families = [];
    private readonly List<RenderedFamily> _rendered = [];
    private readonly List<int[]> _changed = [];
    private int _merge = 1;

    /// <summary>Builds the families, renders them once and picks the values that change (the same ones every merge).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(11);
        for (int f = 0; f < 20; f++)
        {
            Add(Counter(f));
        }

        for (int f = 0; f < 6; f++)
        {
            Add(Histogram(f));
        }

        for (int f = 0; f < 4; f++)
        {
            Add(Gauge($"gitlab_livesum_{f}", 650, (s, _) => LabelSet.Create(["controller", "state"], [Controller(s), "state_" + (s / 30).ToString(CultureInfo.InvariantCulture)])));
        }

        for (int f = 0; f < 10; f++)
        {
            Add(Gauge($"gitlab_all_{f}", 200 * 128, (s, _) => LabelSet.Create(["pid", "queue"], [(100_000 + (s % 128)).ToString(CultureInfo.InvariantCulture), "queue_" + (s / 128).ToString(CultureInfo.InvariantCulture)])));
        }

        foreach (MetricFamily family in _families)
        {
            int count = family.SampleList.Count;
            _changed.Add([.. Enumerable.Range(0, count).Where(_ => random.NextDouble() < ChangedShare)]);
            _rendered.Add(new RenderedFamily());
            _rendered[^1].Render(family, _merge, ExpositionFormat.PrometheusText);
        }
    }

    /// <summary>Every family with a changed value formatted again, line by line (what main does).</summary>
    [Benchmark(Baseline = true)]
    public int Full() => RenderNextMerge(patch: false, lent: false);

    /// <summary>The changed lines patched into the kept renderings, in place.</summary>
    [Benchmark]
    public int Patched() => RenderNextMerge(patch: true, lent: false);

    /// <summary>The changed lines patched into new buffers: a response still sends every old rendering.</summary>
    [Benchmark]
    public int PatchedWhileLent() => RenderNextMerge(patch: true, lent: true);

    private int RenderNextMerge(bool patch, bool lent)
    {
        var response = new LendingOutput();
        int merge = ++_merge;
        int written = 0;
        for (int f = 0; f < _families.Count; f++)
        {
            MetricFamily family = _families[f];
            if (lent)
            {
                _rendered[f].WriteTo(response, family, merge - 1, ExpositionFormat.PrometheusText);
            }

            List<Sample> samples = family.SampleList;
            family.Edits.Start(merge - 1, merge);
            foreach (int index in _changed[f])
            {
                samples[index] = samples[index] with { Value = samples[index].Value + 1.25 };
                family.Edits.Changed.Add(index);
            }

            if (!patch)
            {
                family.Edits.Invalidate();
            }

            written += _rendered[f].Render(family, merge, ExpositionFormat.PrometheusText).WrittenCount;
        }

        response.ReleaseAll();
        return written;
    }

    private void Add(MetricFamily family) => _families.Add(family);

    private static string Controller(int s) => "Projects::Component" + (s % 30).ToString(CultureInfo.InvariantCulture) + "Controller";

    private static MetricFamily Counter(int f)
    {
        string name = $"gitlab_component_{f}_events";
        var family = new MetricFamily(name, MetricType.Counter, "Synthetic metric.");
        for (int s = 0; s < 600; s++)
        {
            LabelSet labels = LabelSet.Create(["action", "controller", "feature_category"], ["action_" + (s / 30).ToString(CultureInfo.InvariantCulture), Controller(s), "category_" + (s % 7).ToString(CultureInfo.InvariantCulture)]);
            family.SampleList.Add(new Sample(name + "_total", labels, s * 128.0));
        }

        return family;
    }

    private static MetricFamily Histogram(int f)
    {
        string name = $"gitlab_request_{f}_duration_seconds";
        var family = new MetricFamily(name, MetricType.Histogram, "Synthetic metric.");
        for (int s = 0; s < 300; s++)
        {
            LabelSet labels = LabelSet.Create(["action", "controller"], ["action_" + (s / 30).ToString(CultureInfo.InvariantCulture), Controller(s)]);
            for (int b = 0; b < s_buckets.Length; b++)
            {
                family.SampleList.Add(new Sample(name + "_bucket", labels.With("le", s_buckets[b]), (b + 1) * 1000.0));
            }

            family.SampleList.Add(new Sample(name + "_count", labels, 12_000));
            family.SampleList.Add(new Sample(name + "_sum", labels, 1234.5678 + s));
        }

        return family;
    }

    private static MetricFamily Gauge(string name, int series, Func<int, int, LabelSet> labels)
    {
        var family = new MetricFamily(name, MetricType.Gauge, "Synthetic metric.");
        for (int s = 0; s < series; s++)
        {
            family.SampleList.Add(new Sample(name, labels(s, series), (s * 0.37) + 1));
        }

        return family;
    }

    /// <summary>A big response: takes renderings by reference and holds them until it is sent.</summary>
    private sealed class LendingOutput : IBufferWriter<byte>, IKeptBytesOutput
    {
        private readonly ArrayBufferWriter<byte> _copied = new();
        private readonly List<IKeptBytesLease> _leases = [];

        public bool KeepsBytes => true;

        public void WriteKept(ReadOnlyMemory<byte> bytes, IKeptBytesLease lease, long version) => _leases.Add(lease);

        public void ReleaseAll()
        {
            _leases.ForEach(static lease => lease.Release());
            _leases.Clear();
        }

        public void Advance(int count) => _copied.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => _copied.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => _copied.GetSpan(sizeHint);
    }
}
