using System.Buffers;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus;

/// <summary>
/// A scrape source of this library (<see cref="MultiProcessDirectory"/>, <see cref="MetricRegistry"/>): it writes its
/// families and leaves the end of the exposition to its caller, so that more families can follow
/// (<see cref="SelfMetricsSource"/>) without the written bytes being edited.
/// </summary>
internal interface IFamilySource
{
    /// <summary>Collects and writes every family in name order, without what ends the exposition.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    /// <param name="names">Family names to look for among the families written.</param>
    /// <param name="report">The report of the directory collection written, or null when the source reads no directory.</param>
    /// <returns>Bit <c>i</c> set when a family written is named <c>names[i]</c> (<see cref="FamilyNameSearch"/>).</returns>
    int WriteFamilies(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping, ReadOnlySpan<string> names, out CollectionReport? report);
}
