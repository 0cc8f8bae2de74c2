namespace Chorus;

/// <summary>How a gauge's values from many processes are merged; part of the gauge file's name.</summary>
/// <remarks>The <c>Live*</c> modes count only processes that are alive.</remarks>
public enum GaugeMode
{
    /// <summary>One series per process, labelled <c>pid</c> (the default, as in prometheus_client).</summary>
    All,

    /// <summary>As <see cref="All"/>, for live processes only.</summary>
    LiveAll,

    /// <summary>Minimum over processes.</summary>
    Min,

    /// <summary>Minimum over live processes.</summary>
    LiveMin,

    /// <summary>Maximum over processes.</summary>
    Max,

    /// <summary>Maximum over live processes.</summary>
    LiveMax,

    /// <summary>Sum over processes.</summary>
    Sum,

    /// <summary>Sum over live processes.</summary>
    LiveSum,

    /// <summary>The value set most recently by any process (needs the 16-byte layout's timestamp).</summary>
    MostRecent,

    /// <summary>The value set most recently by any live process.</summary>
    LiveMostRecent,
}
