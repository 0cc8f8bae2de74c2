namespace Chorus.Files;

/// <summary>Names and properties of <see cref="GaugeMode"/> values as they appear in file names.</summary>
internal static class GaugeModes
{
    private static readonly string[] s_names =
        ["all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent", "livemostrecent"];

    /// <summary>The file-name spelling of a mode (<c>livesum</c>).</summary>
    public static string ToFileName(this GaugeMode mode) => s_names[(int)mode];

    /// <summary>True for the modes that ignore dead processes.</summary>
    public static bool IsLive(this GaugeMode mode) => (int)mode % 2 == 1;

    /// <summary>True for <c>all</c> and <c>liveall</c>, which keep one series per process with a <c>pid</c> label.</summary>
    public static bool KeepsPid(this GaugeMode mode) => mode is GaugeMode.All or GaugeMode.LiveAll;

    /// <summary>Parses the file-name spelling of a mode.</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out GaugeMode mode)
    {
        for (int i = 0; i < s_names.Length; i++)
        {
            if (name.SequenceEqual(s_names[i]))
            {
                mode = (GaugeMode)i;
                return true;
            }
        }

        mode = default;
        return false;
    }
}
