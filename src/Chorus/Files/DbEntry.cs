namespace Chorus.Files;

/// <summary>The position of one complete entry inside a <c>.db</c> file. Offsets are from the start of the file.</summary>
/// <param name="Offset">Where the entry (its int32 key length) starts.</param>
/// <param name="KeyOffset">Where the UTF-8 JSON key starts.</param>
/// <param name="KeyLength">Length of the key in bytes.</param>
/// <param name="ValueOffset">Where the float64 value starts (8-byte aligned); a timestamp follows in the 16-byte layout.</param>
internal record struct DbEntry(int Offset, int KeyOffset, int KeyLength, int ValueOffset);
