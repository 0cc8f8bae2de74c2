using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>A key decoded once: its family, sample name and labels. Shared by every file that holds the same key bytes.</summary>
internal sealed class ParsedKey(byte[] keyBytes, FamilyState family, string sampleName, LabelSet labels, bool isBucket, LabelSet baseLabels, double bound)
{
    private EntryTarget? _target;
    private string[]? _namesWithPid;

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

    /// <summary>The key's labels with a gauge file's <c>pid</c> label set; every writer's copy shares one names array.</summary>
    public LabelSet LabelsWithPid(string pid) => Labels.With(MergeRules.PidLabel, pid, ref _namesWithPid);

    /// <summary>
    /// Where the key's entries go, in every file that holds it: the pid a gauge file adds is the file's, and the slots that
    /// carry it are cached by the file (<see cref="FileState.PidSlots"/>), so a host does not hold a target per gauge
    /// entry and writer.
    /// </summary>
    public EntryTarget Target => _target ??= new EntryTarget(this);
}
