using System.Numerics;
using System.Runtime.InteropServices;
using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// Sorts a family's places (label groups, and slots standing alone) in <see cref="LabelSet.CompareTo"/> order. When every group has the same label names
/// (a family's usual case), each value is replaced by its rank among the values at its position, and the groups are
/// sorted by one integer made of their ranks: a cold scrape of a GitLab-sized host spent 13% of its CPU comparing label
/// sets (296,000 groups, each comparison chasing a group, its label set, its values and their strings).
/// </summary>
internal static class GroupOrder
{
    /// <summary>Sorts <paramref name="groups"/> by their label sets.</summary>
    public static void Sort(List<OutputGroup> groups)
    {
        if (groups.Count > 1 && !TrySortByRanks(groups))
        {
            groups.Sort(PlaceLabels.Compare);
        }
    }

    /// <summary>Sorts by rank keys; false (nothing moved) when the names differ or the ranks need more than 64 bits.</summary>
    private static bool TrySortByRanks(List<OutputGroup> groups)
    {
        OutputGroup first = groups[0];
        int width = first.LabelCount;
        foreach (OutputGroup group in groups)
        {
            if (!SameNames(group, first))
            {
                return false;
            }
        }

        // Position 0 decides first, so its rank takes the highest bits.
        var ranks = new Dictionary<string, int>[width];
        int[] shifts = new int[width];
        int bits = 0;
        for (int position = width - 1; position >= 0; position--)
        {
            ranks[position] = RanksAt(groups, position, out int distinct);
            shifts[position] = bits;
            bits += distinct <= 1 ? 0 : 64 - BitOperations.LeadingZeroCount((ulong)(distinct - 1));
            if (bits > 64)
            {
                return false;
            }
        }

        ulong[] keys = new ulong[groups.Count];
        for (int i = 0; i < groups.Count; i++)
        {
            OutputGroup group = groups[i];
            ulong key = 0;
            for (int position = 0; position < width; position++)
            {
                key |= (ulong)ranks[position][group.LabelValue(position)] << shifts[position];
            }

            keys[i] = key;
        }

        // No two groups share a label set, so no two share a key.
        keys.AsSpan().Sort(CollectionsMarshal.AsSpan(groups));
        return true;
    }

    /// <summary>Whether <paramref name="a"/> has the label names of <paramref name="b"/>, in the same order.</summary>
    private static bool SameNames(OutputGroup a, OutputGroup b)
    {
        int count = a.LabelCount;
        if (count != b.LabelCount)
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            if (!string.Equals(a.LabelName(i), b.LabelName(i), StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Each value at <paramref name="position"/> (by instance: a key table hands out one per distinct value, so looking
    /// one up hashes no characters) with its rank in ordinal order, equal values of different instances ranked alike.
    /// </summary>
    private static Dictionary<string, int> RanksAt(List<OutputGroup> groups, int position, out int distinct)
    {
        var ranks = new Dictionary<string, int>(ReferenceEqualityComparer.Instance);
        foreach (OutputGroup group in groups)
        {
            ranks.TryAdd(group.LabelValue(position), 0);
        }

        string[] values = [.. ranks.Keys];
        Array.Sort(values, StringComparer.Ordinal);
        int rank = -1;
        string? last = null;
        foreach (string value in values)
        {
            if (last is null || !string.Equals(value, last, StringComparison.Ordinal))
            {
                rank++;
                last = value;
            }

            ranks[value] = rank;
        }

        distinct = rank + 1;
        return ranks;
    }
}
