using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>A key decoded once: its family, sample name and labels. Shared by every file that holds the same key bytes.</summary>
internal sealed class ParsedKey(FamilyState family, string sampleName, LabelSet labels, bool isBucket, LabelSet baseLabels, double bound)
{
    private EntryTarget? _plain;
    private Dictionary<string, EntryTarget>? _byPid;

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

    /// <summary>The target of this key in a file; gauge files add their identity as the <c>pid</c> label.</summary>
    public EntryTarget TargetFor(string? pid)
    {
        if (pid is null)
        {
            return _plain ??= new EntryTarget(this, null);
        }

        _byPid ??= new Dictionary<string, EntryTarget>(StringComparer.Ordinal);
        if (!_byPid.TryGetValue(pid, out EntryTarget? target))
        {
            target = new EntryTarget(this, pid);
            _byPid.Add(pid, target);
        }

        return target;
    }
}
