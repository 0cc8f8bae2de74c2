namespace Chorus.Compaction;

/// <summary>One file's fate in a compaction.</summary>
/// <param name="FileName">The file name.</param>
/// <param name="Disposition">Kept, folded or deleted.</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="Archive">For folded files, the archive they went into.</param>
/// <param name="Length">The file's size in bytes.</param>
public sealed record FileAction(string FileName, FileDisposition Disposition, string Reason, string? Archive, long Length);
