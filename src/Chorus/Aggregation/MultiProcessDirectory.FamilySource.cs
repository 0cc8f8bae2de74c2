using System.Buffers;
using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <content>The directory as a source of families that more families (the self-metrics) may follow.</content>
public sealed partial class MultiProcessDirectory : IFamilySource
{
    /// <inheritdoc />
    int IFamilySource.WriteFamilies(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping, ReadOnlySpan<string> names, out CollectionReport? report)
    {
        ArgumentNullException.ThrowIfNull(output);
        int found;
        lock (_gate)
        {
            CollectAndWrite(output, format, escaping);
            report = LastReport;

            // _stages.Output holds the families just written, in name order.
            found = FamilyNameSearch.InFamilies(_stages.Output, names);
        }

        return found;
    }
}
