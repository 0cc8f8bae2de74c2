using System.Diagnostics.CodeAnalysis;

namespace Chorus.Files;

/// <summary>
/// Decides which keys are metrics and which are damaged bytes. prometheus_client 0.22 and later accept any non-empty
/// metric and label name (UTF-8 names such as "my.metric"), which <see cref="DbKey"/> checks; the exposition writer
/// quotes or escapes them per scrape. The reader and the compactor both ask here, so a compaction folds exactly the
/// entries readers use.
/// </summary>
internal static class ExposableKey
{
    /// <summary>Decodes <paramref name="utf8"/>; false (never throws) with the reason when it is not an exposable key.</summary>
    /// <param name="utf8">The key's bytes.</param>
    /// <param name="key">The decoded key.</param>
    /// <param name="error">Why it is not one.</param>
    /// <param name="strings">Strings decoded before, reused for the same bytes (see <see cref="DbKey.TryParse"/>).</param>
    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out DbKey? key, out string? error, KeyStrings? strings = null)
    {
        return DbKey.TryParse(utf8, out key, out error, strings);
    }
}
