using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// Compares places (<see cref="OutputGroup"/>) by their labels, and finds them by a <see cref="LabelSet"/> or by a key's
/// labels and a pid (<see cref="PidLabels"/>), without making a set for a place that keeps none: a cold pass looks up
/// every writer's series of an <c>all</c> gauge (256,000 on a GitLab-sized host), and a set made for each lookup was
/// 12 MB of that pass's allocation. Hashes as <see cref="LabelSet.GetHashCode"/> does, so every form of the same labels
/// meets in one dictionary (<see cref="FamilyState"/>'s places awaiting their order).
/// </summary>
internal sealed class PlaceLabels :
    IEqualityComparer<OutputGroup>,
    IAlternateEqualityComparer<LabelSet, OutputGroup>,
    IAlternateEqualityComparer<PidLabels, OutputGroup>
{
    /// <summary>The one instance.</summary>
    public static PlaceLabels Instance { get; } = new();

    private PlaceLabels()
    {
    }

    /// <summary>Orders <paramref name="place"/>'s labels against <paramref name="labels"/> as <see cref="LabelSet.CompareTo"/> orders sets.</summary>
    public static int Compare(OutputGroup place, in PidLabels labels) => Compare(new Reader(place), labels);

    /// <summary>Orders two places' labels as <see cref="LabelSet.CompareTo"/> orders sets, without making a set for either.</summary>
    public static int Compare(OutputGroup a, OutputGroup b) => Compare(new Reader(a), new Reader(b));

    private static int Compare<TA, TB>(in TA a, in TB b)
        where TA : struct, ILabelReader
        where TB : struct, ILabelReader
    {
        int n = Math.Min(a.Count, b.Count);
        for (int i = 0; i < n; i++)
        {
            int c = string.CompareOrdinal(a.GetName(i), b.GetName(i));
            if (c != 0)
            {
                return c;
            }

            c = string.CompareOrdinal(a.GetValue(i), b.GetValue(i));
            if (c != 0)
            {
                return c;
            }
        }

        return a.Count.CompareTo(b.Count);
    }

    /// <inheritdoc/>
    public bool Equals(OutputGroup? x, OutputGroup? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && (x.KeepsLabelSet && y.KeepsLabelSet ? x.Labels.Equals(y.Labels) : SameLabels(x, y)));

    /// <inheritdoc/>
    public int GetHashCode(OutputGroup place)
    {
        if (place.KeepsLabelSet)
        {
            return place.Labels.GetHashCode();
        }

        var hash = default(HashCode);
        for (int i = 0; i < place.LabelCount; i++)
        {
            hash.Add(place.LabelName(i), StringComparer.Ordinal);
            hash.Add(place.LabelValue(i), StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public bool Equals(LabelSet alternate, OutputGroup other) =>
        other.KeepsLabelSet ? alternate.Equals(other.Labels) : other.CompareLabels(alternate) == 0;

    /// <inheritdoc/>
    public int GetHashCode(LabelSet alternate) => alternate.GetHashCode();

    /// <inheritdoc/>
    public bool Equals(PidLabels alternate, OutputGroup other) => Compare(other, alternate) == 0;

    /// <inheritdoc/>
    public int GetHashCode(PidLabels alternate)
    {
        var hash = default(HashCode);
        for (int i = 0; i < alternate.Count; i++)
        {
            hash.Add(alternate.GetName(i), StringComparer.Ordinal);
            hash.Add(alternate.GetValue(i), StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>Not used: places are added as themselves.</summary>
    OutputGroup IAlternateEqualityComparer<LabelSet, OutputGroup>.Create(LabelSet alternate) => throw new NotSupportedException();

    /// <summary>Not used: places are added as themselves.</summary>
    OutputGroup IAlternateEqualityComparer<PidLabels, OutputGroup>.Create(PidLabels alternate) => throw new NotSupportedException();

    private static bool SameLabels(OutputGroup x, OutputGroup y)
    {
        int count = x.LabelCount;
        if (count != y.LabelCount)
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            if (!string.Equals(x.LabelName(i), y.LabelName(i), StringComparison.Ordinal)
                || !string.Equals(x.LabelValue(i), y.LabelValue(i), StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A place's labels read through <see cref="ILabelReader"/>.</summary>
    private readonly struct Reader(OutputGroup place) : ILabelReader
    {
        public int Count => place.LabelCount;

        public string GetName(int index) => place.LabelName(index);

        public string GetValue(int index) => place.LabelValue(index);
    }
}
