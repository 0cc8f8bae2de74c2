using Chorus.Exposition;

namespace Chorus.AspNetCore.Http;

/// <summary>What a scrape is answered with: the format, the text format's version and how names outside the classic set are written.</summary>
/// <param name="Format">The exposition format.</param>
/// <param name="Escaping">The escaping scheme (always <see cref="EscapingScheme.Underscores"/> for text 0.0.4, which cannot quote names).</param>
/// <param name="TextVersion1">For <see cref="ExpositionFormat.PrometheusText"/>: true for text 1.0.0 (names may be quoted), false for 0.0.4.</param>
internal readonly record struct ScrapeProtocol(ExpositionFormat Format, EscapingScheme Escaping, bool TextVersion1)
{
    /// <summary>Text 0.0.4, names escaped with underscores: the answer to anything else.</summary>
    public static ScrapeProtocol Default => new(ExpositionFormat.PrometheusText, EscapingScheme.Underscores, TextVersion1: false);
}
