namespace Chorus.Files;

/// <summary>The metric type a <c>.db</c> file holds, taken from its name's first part.</summary>
public enum DbFileKind
{
    /// <summary><c>counter_*.db</c></summary>
    Counter,

    /// <summary><c>gauge_{mode}_*.db</c></summary>
    Gauge,

    /// <summary><c>histogram_*.db</c></summary>
    Histogram,

    /// <summary><c>summary_*.db</c></summary>
    Summary,
}
