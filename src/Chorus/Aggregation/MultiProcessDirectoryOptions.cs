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

    /// <summary>
    /// How many files may stay open and memory-mapped between collections, so warm collections read them
    /// without opening them again (default 16384). The effective budget is also capped at half the process's
    /// open-file limit and half the kernel's map-count limit; files beyond it are read with <c>pread</c> each
    /// time. 0 keeps nothing open (every collection opens, reads and closes each file). A one-shot
    /// collection never maps: a file is kept from its second collection on, while its values keep changing
    /// (see <see cref="KeptFileIdleTimeout"/>).
    /// </summary>
    public int MaxKeptFiles { get; init; } = 16384;

    /// <summary>
    /// How long a kept file may go without any change before it is closed and unmapped again (default 30
    /// seconds). Compaction decides whether a writer is alive by who holds its files open, so a reader must
    /// not hold a dead writer's file for long: files that stopped changing are let go, and are read with
    /// open/read/close until they change again. (A compaction in the same process also makes readers of
    /// its directory let go of everything while it runs.)
    /// </summary>
    public TimeSpan KeptFileIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Which <c>*.db</c> file names to read (null: all). Called with the file name only.</summary>
    public Func<string, bool>? FileFilter { get; init; }

    /// <summary>Reads a first collection's files ahead on a second thread (tests turn it off to compare).</summary>
    internal bool ColdReadAhead { get; init; } = true;
}
