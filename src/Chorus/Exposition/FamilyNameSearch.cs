using System.Text;

namespace Chorus.Exposition;

/// <summary>
/// Which of a few family names an exposition already has: as a bit mask, bit <c>i</c> for <c>names[i]</c> (at most 32
/// names). Looked up in the families a source wrote, or, for a source that hands over only bytes, in its
/// <c># TYPE</c> lines.
/// </summary>
internal static class FamilyNameSearch
{
    private static ReadOnlySpan<byte> TypePrefix => "# TYPE "u8;

    /// <summary>Looks <paramref name="names"/> up in <paramref name="families"/>, which are sorted by name (ordinal).</summary>
    /// <param name="families">The families, in ordinal order of their names.</param>
    /// <param name="names">The names to look for.</param>
    /// <returns>Bit <c>i</c> set when a family is named <c>names[i]</c>.</returns>
    public static int InFamilies(IReadOnlyList<MetricFamily> families, ReadOnlySpan<string> names)
    {
        int found = 0;
        for (int i = 0; i < names.Length; i++)
        {
            int low = 0;
            int high = families.Count - 1;
            while (low <= high)
            {
                int middle = low + ((high - low) / 2);
                int order = string.CompareOrdinal(families[middle].Name, names[i]);
                if (order == 0)
                {
                    found |= 1 << i;
                    break;
                }

                if (order < 0)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle - 1;
                }
            }
        }

        return found;
    }

    /// <summary>Looks <paramref name="names"/> up in the <c># TYPE</c> lines of <paramref name="exposition"/> (either text format).</summary>
    /// <param name="exposition">UTF-8 exposition text.</param>
    /// <param name="names">The names to look for (classic names: they are never quoted).</param>
    /// <returns>Bit <c>i</c> set when a <c># TYPE</c> line names <c>names[i]</c>.</returns>
    public static int InTypeLines(ReadOnlySpan<byte> exposition, ReadOnlySpan<string> names)
    {
        int found = 0;
        ReadOnlySpan<byte> rest = exposition;
        bool lineStart = true;
        while (true)
        {
            int at = rest.IndexOf(TypePrefix);
            if (at < 0)
            {
                return found;
            }

            if ((at == 0 && lineStart) || (at > 0 && rest[at - 1] == (byte)'\n'))
            {
                ReadOnlySpan<byte> name = rest[(at + TypePrefix.Length)..];
                int end = name.IndexOf((byte)' ');
                if (end > 0)
                {
                    name = name[..end];
                    for (int i = 0; i < names.Length; i++)
                    {
                        if (Ascii.Equals(name, names[i]))
                        {
                            found |= 1 << i;
                        }
                    }
                }
            }

            rest = rest[(at + TypePrefix.Length)..];
            lineStart = false;
        }
    }
}
