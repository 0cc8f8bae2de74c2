using System.Buffers;
using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// A family's exposition bytes, per format, kept until the family is merged again: a warm scrape of a directory
/// whose values mostly did not change copies most of its output instead of formatting every number again.
/// </summary>
internal sealed class RenderedFamily
{
    private readonly ArrayBufferWriter<byte>?[] _bytes = new ArrayBufferWriter<byte>?[2];
    private readonly int[] _mergedIn = new int[2];

    /// <summary>Writes <paramref name="family"/> in <paramref name="format"/>, formatting it only if it was merged since the last time.</summary>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="family">The family's samples as merged in collection <paramref name="mergedIn"/>.</param>
    /// <param name="mergedIn">The collection that last merged the family.</param>
    /// <param name="format">The exposition format.</param>
    public void WriteTo(IBufferWriter<byte> output, MetricFamily family, int mergedIn, ExpositionFormat format)
    {
        int index = format == ExpositionFormat.OpenMetrics ? 1 : 0;
        ArrayBufferWriter<byte> bytes = _bytes[index] ??= new ArrayBufferWriter<byte>();
        if (_mergedIn[index] != mergedIn || bytes.WrittenCount == 0)
        {
            bytes.ResetWrittenCount();
            ExpositionWriter.WriteFamily(bytes, family, format);
            _mergedIn[index] = mergedIn;
        }

        output.Write(bytes.WrittenSpan);
    }
}
