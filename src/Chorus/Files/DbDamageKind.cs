namespace Chorus.Files;

/// <summary>Why a <c>.db</c> file could not be read to its end.</summary>
public enum DbDamageKind
{
    /// <summary>The file was read completely.</summary>
    None,

    /// <summary>The file is shorter than its 8-byte header (for example 0 bytes: a writer died before sizing it).</summary>
    ShorterThanHeader,

    /// <summary>The header's <c>used</c> is below the header size or otherwise impossible.</summary>
    InvalidUsed,

    /// <summary>The header's <c>used</c> points past the end of the file; entries inside the file were read.</summary>
    UsedBeyondFile,

    /// <summary>An entry's key length is zero, negative or larger than what is left of the file.</summary>
    InvalidKeyLength,

    /// <summary>An entry does not fit before <c>used</c> (cut mid-way).</summary>
    TruncatedEntry,

    /// <summary>The padding after a key is not spaces, or the key does not look like a JSON array.</summary>
    MalformedEntry,

    /// <summary>The entries do not fit either value layout.</summary>
    UnknownLayout,

    /// <summary>A key is not valid UTF-8 JSON of the expected shape (or a histogram <c>le</c> is not a number); entries from it on are not trusted.</summary>
    InvalidKey,

    /// <summary>The file could not be read (I/O error); entries read before it are kept.</summary>
    ReadError,
}
