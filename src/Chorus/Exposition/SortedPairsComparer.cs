namespace Chorus.Exposition;

/// <summary>
/// Label sets by value, as <see cref="LabelSet.Equals(LabelSet?)"/> compares them, that can also be looked up by pairs
/// sorted by name before a set is made of them: a reader's key table finds each key's labels among the sets it holds,
/// and making a set for every key first (two lists, two arrays and the set) was 12 MB of the GitLab-sized host's cold
/// pass, nearly all of it for sets already held (docs/benchmarks.md).
/// </summary>
/// <remarks>
/// Only pairs sorted by name find their set: others are never equal to a held set (<see cref="LabelSet.EqualsSortedPairs"/>),
/// so their lookup misses and the caller makes their set.
/// </remarks>
internal sealed class SortedPairsComparer : IEqualityComparer<LabelSet>, IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, string>>, LabelSet>
{
    public static SortedPairsComparer Instance { get; } = new();

    public bool Equals(LabelSet? x, LabelSet? y) => x is null ? y is null : x.Equals(y);

    public int GetHashCode(LabelSet obj) => obj.GetHashCode();

    public bool Equals(ReadOnlySpan<KeyValuePair<string, string>> alternate, LabelSet other) => other.EqualsSortedPairs(alternate);

    public int GetHashCode(ReadOnlySpan<KeyValuePair<string, string>> alternate) => LabelSet.HashPairs(alternate);

    public LabelSet Create(ReadOnlySpan<KeyValuePair<string, string>> alternate) => LabelSet.Create(alternate);
}
