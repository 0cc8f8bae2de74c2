using System.Buffers;
using Chorus.Exposition;

namespace Chorus;

/// <summary>
/// Anything that can produce a complete exposition on demand: a merged multiprocess directory or an
/// in-process registry. Hosts (<c>chorus serve</c>, the ASP.NET Core endpoint) only talk to this.
/// </summary>
/// <remarks>Implementations are safe to call from several threads; they never throw for bad input files.</remarks>
public interface IScrapeSource
{
    /// <summary>Collects current values and writes the whole exposition in <paramref name="format"/> to <paramref name="output"/>.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    void Collect(IBufferWriter<byte> output, ExpositionFormat format);
}
