using Chorus.Files;

namespace Chorus.Storage;

/// <summary>Everything a store needs to place one value: which file it belongs to and its <c>.db</c> key parts.</summary>
/// <param name="Kind">The file type.</param>
/// <param name="Mode">The gauge mode (ignored for other types).</param>
/// <param name="Family">Family name.</param>
/// <param name="Sample">Sample name.</param>
/// <param name="LabelNames">Label names, in declaration order (the key sorts them).</param>
/// <param name="LabelValues">Label values.</param>
/// <param name="Help">HELP text.</param>
internal readonly record struct SeriesKey(DbFileKind Kind, GaugeMode Mode, string Family, string Sample, string[] LabelNames, string[] LabelValues, string Help)
{
    /// <summary>The key bytes as prometheus_client writes them.</summary>
    public byte[] Encode() => DbKey.Encode(Family, Sample, LabelNames, LabelValues, Help);
}
