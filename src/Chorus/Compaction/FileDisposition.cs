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

    /// <summary>
    /// A dead writer's damaged file without a complete entry, renamed out of the <c>*.db</c> names to
    /// <c>{name}.damaged</c> (kept for inspection; prometheus_client's collector fails a whole scrape on it).
    /// </summary>
    MovedAside,
}
