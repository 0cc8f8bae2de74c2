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

    /// <summary>
    /// Collects as <see cref="Collect(IBufferWriter{byte}, ExpositionFormat)"/> does, writing metric and label names outside
    /// the classic character set as <paramref name="escaping"/> says (quoted for a scraper that asked for
    /// <c>escaping=allow-utf-8</c>, escaped to classic names otherwise). The two-argument overload writes
    /// <see cref="EscapingScheme.Underscores"/>.
    /// </summary>
    /// <remarks>
    /// The default implementation calls the two-argument overload, which is right for a source whose names are all
    /// classic (they are written the same in every scheme).
    /// </remarks>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    void Collect(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping) => Collect(output, format);
}
