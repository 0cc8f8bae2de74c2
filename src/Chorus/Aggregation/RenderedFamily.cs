using System.Buffers;
using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// A family's exposition bytes, per format, kept until the family is merged again: a warm scrape of a directory
/// whose values mostly did not change copies most of its output instead of formatting every number again.
/// One rendering per format and escaping scheme (the schemes differ only for names outside the classic set).
/// </summary>
internal sealed class RenderedFamily
{
    private const int Schemes = 4;

    private readonly ArrayBufferWriter<byte>?[] _bytes = new ArrayBufferWriter<byte>?[2 * Schemes];
    private readonly int[] _mergedIn = new int[2 * Schemes];

    // Per format: the underscores rendering had only classic names, so it is also what every other scheme writes.
    private readonly bool[] _classicOnly = new bool[2];

    /// <summary>Writes <paramref name="family"/> in <paramref name="format"/>, formatting it only if it was merged since the last time.</summary>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="family">The family's samples as merged in collection <paramref name="mergedIn"/>.</param>
    /// <param name="mergedIn">The collection that last merged the family.</param>
    /// <param name="format">The exposition format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    public void WriteTo(IBufferWriter<byte> output, MetricFamily family, int mergedIn, ExpositionFormat format, EscapingScheme escaping = EscapingScheme.Underscores)
    {
        int formatIndex = format == ExpositionFormat.OpenMetrics ? 1 : 0;
        int first = formatIndex * Schemes;
        int index = first + (int)escaping;
        if (index != first && _classicOnly[formatIndex] && _mergedIn[first] == mergedIn && _bytes[first] is { WrittenCount: > 0 })
        {
            index = first;
        }

        ArrayBufferWriter<byte> bytes = _bytes[index] ??= new ArrayBufferWriter<byte>();
        if (_mergedIn[index] != mergedIn || bytes.WrittenCount == 0)
        {
            bytes.ResetWrittenCount();
            bool escaped = ExpositionWriter.WriteFamily(bytes, family, format, escaping);
            _mergedIn[index] = mergedIn;
            if (index == first)
            {
                _classicOnly[formatIndex] = !escaped;
            }
        }

        output.Write(bytes.WrittenSpan);
    }
}
