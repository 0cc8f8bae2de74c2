using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>A key decoded once: its family, sample name and labels. Shared by every file that holds the same key bytes.</summary>
internal sealed class ParsedKey(byte[] keyBytes, FamilyState family, string sampleName, LabelSet labels, bool isBucket, LabelSet baseLabels, double bound)
{
    private EntryTarget? _plain;
    private EntryTarget? _lastPidTarget;
    private Dictionary<string, EntryTarget>? _byPid;

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

    /// <summary>Number of per-pid targets held, for tests of bounded memory.</summary>
    public int PidTargetCount => _byPid?.Count ?? 0;

    /// <summary>Forgets per-pid targets the collection <paramref name="generation"/> did not use (their files are gone).</summary>
    public void PruneTargets(int generation)
    {
        if (_byPid is null)
        {
            return;
        }

        List<string>? stale = null;
        foreach (KeyValuePair<string, EntryTarget> pair in _byPid)
        {
            if (pair.Value.LastUsed != generation)
            {
                (stale ??= []).Add(pair.Key);
            }
        }

        if (stale is not null)
        {
            foreach (string pid in stale)
            {
                _byPid.Remove(pid);
            }

            if (_lastPidTarget is { } last && last.LastUsed != generation)
            {
                _lastPidTarget = null;
            }
        }
    }

    /// <summary>The target of this key in a file; gauge files add their identity as the <c>pid</c> label.</summary>
    public EntryTarget TargetFor(string? pid)
    {
        if (pid is null)
        {
            return _plain ??= new EntryTarget(this, null);
        }

        // Every entry of a gauge file passes the same pid instance: remember the last answer.
        if (_lastPidTarget is { } last && ReferenceEquals(last.Pid, pid))
        {
            return last;
        }

        _byPid ??= new Dictionary<string, EntryTarget>(StringComparer.Ordinal);
        if (!_byPid.TryGetValue(pid, out EntryTarget? target))
        {
            target = new EntryTarget(this, pid);
            _byPid.Add(pid, target);
        }

        _lastPidTarget = target;
        return target;
    }
}
