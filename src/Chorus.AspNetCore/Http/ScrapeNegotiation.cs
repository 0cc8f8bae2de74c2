using Chorus.Exposition;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Content negotiation for scrapes, the way Prometheus client libraries do it: the <c>Accept</c> entries are tried in
/// order of q-value (header order breaks ties) and the first one Chorus can produce wins; anything else, including
/// <c>*/*</c>, a missing header and garbage, gets text 0.0.4. Text 1.0.0 and OpenMetrics entries may carry
/// <c>escaping=allow-utf-8|underscores|dots|values</c> (Prometheus's escaping-schemes spec); without one, or with an
/// unknown one, names are escaped with underscores. Text 0.0.4 always escapes with underscores: it cannot quote names.
/// </summary>
internal static class ScrapeNegotiation
{
    /// <summary>Picks the format, text version and escaping scheme for an <c>Accept</c> header.</summary>
    /// <param name="accept">The raw header values (may be empty).</param>
    public static ScrapeProtocol Choose(StringValues accept)
    {
        if (StringValues.IsNullOrEmpty(accept) || !MediaTypeHeaderValue.TryParseList(accept, out IList<MediaTypeHeaderValue>? parsed))
        {
            return ScrapeProtocol.Default;
        }

        ScrapeProtocol? best = null;
        double bestQuality = 0;
        foreach (MediaTypeHeaderValue entry in parsed)
        {
            double quality = entry.Quality ?? 1.0;
            if (quality <= 0 || (best is not null && quality <= bestQuality))
            {
                continue;
            }

            ScrapeProtocol? protocol = Recognise(entry);
            if (protocol is not null)
            {
                best = protocol;
                bestQuality = quality;
            }
        }

        return best ?? ScrapeProtocol.Default;
    }

    /// <summary>True when the <c>Accept-Encoding</c> header allows a gzip body.</summary>
    /// <param name="acceptEncoding">The raw header values (may be empty).</param>
    public static bool AcceptsGzip(StringValues acceptEncoding)
    {
        if (StringValues.IsNullOrEmpty(acceptEncoding) || !StringWithQualityHeaderValue.TryParseList(acceptEncoding, out IList<StringWithQualityHeaderValue>? parsed))
        {
            return false;
        }

        double? gzip = null;
        double? wildcard = null;
        foreach (StringWithQualityHeaderValue entry in parsed)
        {
            double quality = entry.Quality ?? 1.0;
            if (entry.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) || entry.Value.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
            {
                gzip = Math.Max(gzip ?? 0, quality);
            }
            else if (entry.Value.Equals("*", StringComparison.Ordinal))
            {
                wildcard = quality;
            }
        }

        // An explicit "gzip;q=0" refuses gzip even when "*" would allow it (RFC 9110 section 12.5.3).
        return gzip is { } q ? q > 0 : wildcard > 0;
    }

    private static ScrapeProtocol? Recognise(MediaTypeHeaderValue entry)
    {
        StringSegment version = GetParameter(entry, "version");
        if (entry.MediaType.Equals("application/openmetrics-text", StringComparison.OrdinalIgnoreCase))
        {
            // 0.0.1 is the pre-1.0 draft Prometheus still advertises; the 1.0 text is what it parses for both.
            return !version.HasValue || version.Equals("1.0.0", StringComparison.Ordinal) || version.Equals("0.0.1", StringComparison.Ordinal)
                ? new ScrapeProtocol(ExpositionFormat.OpenMetrics, ChooseEscaping(entry), TextVersion1: false)
                : null;
        }

        if (entry.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase))
        {
            return version.Equals("1.0.0", StringComparison.Ordinal)
                ? new ScrapeProtocol(ExpositionFormat.PrometheusText, ChooseEscaping(entry), TextVersion1: true)
                : ScrapeProtocol.Default;
        }

        return null;
    }

    private static EscapingScheme ChooseEscaping(MediaTypeHeaderValue entry)
    {
        StringSegment escaping = GetParameter(entry, "escaping");
        if (escaping.Equals("allow-utf-8", StringComparison.OrdinalIgnoreCase) || escaping.Equals("allow-utf8", StringComparison.OrdinalIgnoreCase))
        {
            // "allow-utf8" is how the content-negotiation page once spelled it (prometheus/docs#2747).
            return EscapingScheme.AllowUtf8;
        }

        if (escaping.Equals("dots", StringComparison.OrdinalIgnoreCase))
        {
            return EscapingScheme.Dots;
        }

        return escaping.Equals("values", StringComparison.OrdinalIgnoreCase) ? EscapingScheme.Values : EscapingScheme.Underscores;
    }

    private static StringSegment GetParameter(MediaTypeHeaderValue entry, string name)
    {
        foreach (NameValueHeaderValue parameter in entry.Parameters)
        {
            if (parameter.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return HeaderUtilities.RemoveQuotes(parameter.Value);
            }
        }

        return default;
    }
}
