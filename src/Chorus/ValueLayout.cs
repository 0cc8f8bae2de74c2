namespace Chorus;

/// <summary>
/// The width of the value field that follows each key in a <c>.db</c> file. The file carries no marker,
/// so readers detect the layout per file (Chorus detects it per file).
/// </summary>
public enum ValueLayout
{
    /// <summary>One float64 value per entry: prometheus_client up to 0.17 (Debian 12 ships 0.16).</summary>
    Value8 = 8,

    /// <summary>A float64 value and a float64 Unix timestamp per entry: prometheus_client 0.18 and newer.</summary>
    ValueAndTimestamp16 = 16,
}
