namespace Chorus.Compaction;

/// <summary>What a compaction did (or, in a dry run, would do) with one file.</summary>
public enum FileDisposition
{
    /// <summary>Left in place.</summary>
    Kept,

    /// <summary>Its values were folded into an archive and the file removed.</summary>
    Folded,

    /// <summary>Removed without folding (a dead process's live gauge, an expired <c>all</c> gauge, an empty file).</summary>
    Deleted,
}
