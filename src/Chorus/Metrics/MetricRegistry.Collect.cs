using System.Buffers;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus;

/// <content>The registry as a scrape source.</content>
public sealed partial class MetricRegistry : IScrapeSource, IFamilySource
{
    private MultiProcessDirectory? _directoryReader;

    /// <summary>
    /// Writes the exposition. In memory: this registry's metrics. In multiprocess mode: the merge of the whole
    /// directory, every live and dead process included, as prometheus_client's <c>MultiProcessCollector</c> does.
    /// </summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    public void Collect(IBufferWriter<byte> output, ExpositionFormat format) => Collect(output, format, EscapingScheme.Underscores);

    /// <summary>
    /// Writes the exposition as <see cref="Collect(IBufferWriter{byte}, ExpositionFormat)"/> does, metric and label names
    /// outside the classic character set written as <paramref name="escaping"/> says.
    /// </summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    public void Collect(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping)
    {
        ((IFamilySource)this).WriteFamilies(output, format, escaping, [], out _);
        ExpositionWriter.WriteEnd(output, format);
    }

    /// <inheritdoc />
    int IFamilySource.WriteFamilies(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping, ReadOnlySpan<string> names, out CollectionReport? report)
    {
        ArgumentNullException.ThrowIfNull(output);
        RecordObservables();
        if (_multiProcess is not null)
        {
            MultiProcessDirectory reader;
            lock (_lock)
            {
                reader = _directoryReader ??= MultiProcessDirectory.Open(_multiProcess.Directory);
            }

            return ((IFamilySource)reader).WriteFamilies(output, format, escaping, names, out report);
        }

        report = null;
        List<MetricFamily> families = CollectFamilies();
        ExpositionWriter.WriteFamilies(output, families, format, escaping);
        return FamilyNameSearch.InFamilies(families, names);
    }

    /// <summary>The in-process families, sorted by name (multiprocess registries collect through the directory).</summary>
    internal List<MetricFamily> CollectFamilies()
    {
        Collector[] collectors = SnapshotCollectors();
        Array.Sort(collectors, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var families = new List<MetricFamily>(collectors.Length);
        var samples = new List<CollectedSample>();
        foreach (Collector collector in collectors)
        {
            var family = new MetricFamily(collector.Name, collector.Type, collector.Help);
            samples.Clear();
            collector.Collect(samples);
            foreach (CollectedSample sample in samples)
            {
                family.SampleList.Add(new Sample(sample.Name, LabelSet.Create(sample.LabelNames, sample.LabelValues), sample.Value));
            }

            families.Add(family);
        }

        return families;
    }
}
