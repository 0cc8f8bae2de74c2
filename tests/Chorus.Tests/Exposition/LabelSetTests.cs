using Chorus.Exposition;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Chorus.Tests.Exposition;

/// <summary>
/// A label set made by inserting one label into another (a gauge file's pid added to its key's labels) keeps the other
/// set's values and the inserted one apart; it must be the set that names and values in one array make, in every way.
/// </summary>
public class LabelSetTests
{
    private static readonly string[] Names = ["a", "handler", "le", "method", "pid", "z"];

    [Property(MaxTest = 500)]
    public Property InsertedLabel_GivesTheSetOfAllItsPairs(byte[] picks, string inserted, string other)
    {
        inserted ??= string.Empty;
        other ??= string.Empty;
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (byte pick in picks ?? [])
        {
            pairs[Names[pick % Names.Length]] = "v" + (pick / Names.Length);
        }

        string name = Names[(picks?.Length ?? 0) % Names.Length];
        pairs.Remove(name);
        LabelSet baseSet = LabelSet.Create([.. pairs]);
        string[]? sharedNames = null;
        LabelSet made = baseSet.With(name, inserted, ref sharedNames);
        LabelSet again = baseSet.With(name, other, ref sharedNames);
        pairs[name] = inserted;
        LabelSet expected = LabelSet.Create([.. pairs]);
        LabelSet third = LabelSet.Create([.. pairs.Select(pair => KeyValuePair.Create(pair.Key, pair.Key == name ? other : pair.Value))]);

        bool same = made.Equals(expected) && expected.Equals(made) && made.GetHashCode() == expected.GetHashCode()
            && made.CompareTo(expected) == 0 && made.ToString() == expected.ToString() && made.Count == expected.Count
            && Enumerable.Range(0, made.Count).All(i => made.GetName(i) == expected.GetName(i) && made.GetValue(i) == expected.GetValue(i))
            && Names.All(n => made.Find(n) == expected.Find(n))
            && Names.All(n => made.Without(n).Equals(expected.Without(n)) && made.With(n, other).Equals(expected.With(n, other)))
            && again.Equals(third) && Math.Sign(made.CompareTo(again)) == Math.Sign(expected.CompareTo(third))
            && made.Equals(again) == (inserted == other);
        return same.Label($"{expected} made as {made}");
    }

    [Property(MaxTest = 500)]
    public Property SortedPairs_AreFoundAsTheSetTheyMake(byte[] picks, byte[] others, bool insert)
    {
        KeyValuePair<string, string>[] Pairs(byte[]? from) =>
            [.. (from ?? []).Select(pick => KeyValuePair.Create(Names[pick % Names.Length], "v" + (pick % 3)))
                .DistinctBy(pair => pair.Key).OrderBy(pair => pair.Key, StringComparer.Ordinal)];

        KeyValuePair<string, string>[] pairs = Pairs(picks);
        KeyValuePair<string, string>[] otherPairs = Pairs(others);

        // A set with a label inserted (a pid) holds its values apart, and must still be found by its pairs.
        LabelSet other = insert && otherPairs.Length > 0
            ? LabelSet.Create(otherPairs.AsSpan(1)).With(otherPairs[0].Key, otherPairs[0].Value)
            : LabelSet.Create(otherPairs);
        LabelSet made = LabelSet.Create(pairs);
        var held = new Dictionary<LabelSet, LabelSet>(SortedPairsComparer.Instance) { [other] = other };
        bool found = held.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, string>>>().TryGetValue(pairs, out LabelSet? hit);

        // Pairs out of order are never found, even beside their own set: the caller makes their set, which sorts them.
        var withMade = new Dictionary<LabelSet, LabelSet>(SortedPairsComparer.Instance) { [made] = made };
        bool reversedFound = withMade.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, string>>>().TryGetValue([.. pairs.Reverse()], out _);

        bool same = LabelSet.HashPairs(pairs) == made.GetHashCode() && made.EqualsSortedPairs(pairs)
            && other.EqualsSortedPairs(pairs) == other.Equals(made) && found == other.Equals(made) && (!found || ReferenceEquals(hit, other))
            && reversedFound == (pairs.Length < 2);
        return same.Label($"{made} against {other}");
    }

    [Fact]
    public void InsertedLabel_AllocatesTheSetAlone_NotAnArrayOfItsValues()
    {
        // 256,000 such sets on a GitLab-sized host: an array of values each was 14 MiB of its heap.
        LabelSet baseSet = LabelSet.Create(["controller", "action", "feature_category"], ["Projects", "show", "source_code"]);
        string[]? sharedNames = null;
        _ = baseSet.With("pid", "100000", ref sharedNames);
        long before = GC.GetAllocatedBytesForCurrentThread();
        LabelSet withPid = baseSet.With("pid", "100001", ref sharedNames);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("100001", withPid.Find("pid"));
        Assert.InRange(allocated, 1, 48);
    }
}
