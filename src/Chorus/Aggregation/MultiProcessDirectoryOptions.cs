namespace Chorus.Aggregation;

/// <summary>Options of <see cref="MultiProcessDirectory"/>. The defaults merge exactly as prometheus_client's collector does.</summary>
public sealed class MultiProcessDirectoryOptions
{
    /// <summary>The defaults.</summary>
    public static MultiProcessDirectoryOptions Default { get; } = new();

    /// <summary>
    /// True (default): histogram buckets are cumulative and <c>_count</c> is emitted, as for scraping.
    /// False: raw per-bucket sums and no <c>_count</c> (prometheus_client's <c>merge(accumulate=False)</c>,
    /// the form to write back into files when compacting).
    /// </summary>
    public bool Accumulate { get; init; } = true;

    /// <summary>Which <c>*.db</c> file names to read (null: all). Called with the file name only.</summary>
    public Func<string, bool>? FileFilter { get; init; }
}
