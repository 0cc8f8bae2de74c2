using System.Text.Json;

namespace Chorus.Files;

/// <summary>
/// The strings of decoded keys, one instance per distinct text, looked up before a string is made: the keys of a host
/// repeat every name, label value and HELP text, and decoding each key's strings afresh made 20 MB of strings for the
/// GitLab-sized host's 40,000 distinct keys, nearly all copies of others, in a cold pass where every allocated byte is
/// memory new to the process (docs/benchmarks.md).
/// </summary>
/// <remarks>Not thread-safe: its owner (a reader's key table) parses one key at a time.</remarks>
/// <param name="held">The owner's strings (ordinal): found there, or added there.</param>
internal sealed class KeyStrings(HashSet<string> held)
{
    // Longer text (rare in keys) is decoded into a string of its own, as without this.
    private const int MaxLookedUpChars = 256;

    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _byText = held.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// The string token <paramref name="reader"/> is on, decoded (and failing) as <see cref="Utf8JsonReader.GetString"/>
    /// does: the instance held for the same text when there is one.
    /// </summary>
    public string Get(ref Utf8JsonReader reader)
    {
        // A token's UTF-16 length is at most its UTF-8 length.
        long bytes = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (bytes > MaxLookedUpChars)
        {
            return reader.GetString()!;
        }

        Span<char> text = stackalloc char[MaxLookedUpChars];
        text = text[..reader.CopyString(text)];
        if (_byText.TryGetValue(text, out string? known))
        {
            return known;
        }

        string made = new(text);
        held.Add(made);
        return made;
    }
}
