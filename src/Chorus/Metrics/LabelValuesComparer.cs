namespace Chorus;

/// <summary>
/// Compares label-value tuples, and lets a dictionary keyed by <c>string[]</c> be searched with a
/// <c>ReadOnlySpan&lt;string&gt;</c>, so <c>WithLabels</c> allocates nothing when the child exists.
/// </summary>
internal sealed class LabelValuesComparer : IEqualityComparer<string[]>, IAlternateEqualityComparer<ReadOnlySpan<string>, string[]>
{
    public static readonly LabelValuesComparer Instance = new();

    public bool Equals(string[]? x, string[]? y) => x is null ? y is null : y is not null && Equals(x.AsSpan(), y);

    public int GetHashCode(string[] obj) => GetHashCode((ReadOnlySpan<string>)obj);

    public bool Equals(ReadOnlySpan<string> alternate, string[] other)
    {
        if (alternate.Length != other.Length)
        {
            return false;
        }

        for (int i = 0; i < alternate.Length; i++)
        {
            if (!string.Equals(alternate[i], other[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(ReadOnlySpan<string> alternate)
    {
        var hash = default(HashCode);
        foreach (string value in alternate)
        {
            hash.Add(value is null ? 0 : string.GetHashCode(value, StringComparison.Ordinal));
        }

        return hash.ToHashCode();
    }

    public string[] Create(ReadOnlySpan<string> alternate) => alternate.ToArray();
}
