namespace Chorus.Meters;

/// <summary>
/// A meter or instrument name, exact or with <c>*</c> wildcards (<c>System.Net.*</c>, <c>*</c>), compared
/// case-insensitively as OpenTelemetry's <c>AddMeter</c> does.
/// </summary>
internal static class NamePattern
{
    /// <summary>True when <paramref name="name"/> matches <paramref name="pattern"/>; <c>*</c> stands for any run of characters.</summary>
    public static bool Matches(string pattern, string name)
    {
        ReadOnlySpan<char> p = pattern;
        ReadOnlySpan<char> n = name;
        int star = p.IndexOf('*');
        if (star < 0)
        {
            return p.Equals(n, StringComparison.OrdinalIgnoreCase);
        }

        // Greedy glob with backtracking to the last star: linear in practice for meter names.
        int pi = 0, ni = 0, lastStar = -1, resume = 0;
        while (ni < n.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                lastStar = pi++;
                resume = ni;
            }
            else if (pi < p.Length && char.ToUpperInvariant(p[pi]) == char.ToUpperInvariant(n[ni]))
            {
                pi++;
                ni++;
            }
            else if (lastStar >= 0)
            {
                pi = lastStar + 1;
                ni = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }

        return pi == p.Length;
    }
}
