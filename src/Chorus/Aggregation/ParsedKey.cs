using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>A key decoded once: its family, sample name and labels. Shared by every file that holds the same key bytes.</summary>
internal sealed class ParsedKey(byte[] keyBytes, FamilyState family, string sampleName, LabelSet labels, bool isBucket, LabelSet baseLabels, double bound)
{
    private EntryTarget? _plain;
    private EntryTarget? _lastPidTarget;

    /// <summary>The key exactly as stored in files.</summary>
    public byte[] KeyBytes { get; } = keyBytes;

    public FamilyState Family { get; } = family;

    public string SampleName { get; } = sampleName;

    /// <summary>All labels of the key, sorted.</summary>
    public LabelSet Labels { get; } = labels;

    /// <summary>True for a histogram bucket (a histogram key with an <c>le</c> label).</summary>
    public bool IsBucket { get; } = isBucket;

    /// <summary>The labels without <c>le</c> for buckets; <see cref="Labels"/> otherwise.</summary>
    public LabelSet BaseLabels { get; } = baseLabels;

    /// <summary>The bucket's bound, parsed from <c>le</c>.</summary>
    public double Bound { get; } = bound;

    /// <summary>Lets go of the per-pid target the collection <paramref name="generation"/> did not use (its file is gone).</summary>
    public void PruneTargets(int generation)
    {
        if (_lastPidTarget is { } last && last.LastUsed != generation)
        {
            _lastPidTarget = null;
        }
    }

    /// <summary>
    /// The target of this key in a file; gauge files add their identity as the <c>pid</c> label. A gauge file's targets
    /// are its own, held by its entries only (not looked up by pid here): a host has one per gauge entry and writer,
    /// and a table of them per key cost more than the targets. Two files of one pid holding the same key get two
    /// targets that resolve to the same slot (slots are found by labels), which merges the same.
    /// </summary>
    public EntryTarget TargetFor(string? pid)
    {
        if (pid is null)
        {
            return _plain ??= new EntryTarget(this, null);
        }

        // A key repeated within one file (damage aside, prometheus_client never writes one twice) keeps one target.
        if (_lastPidTarget is { } last && string.Equals(last.Pid, pid, StringComparison.Ordinal))
        {
            return last;
        }

        return _lastPidTarget = new EntryTarget(this, pid);
    }
}
