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
    internal bool Accumulate { get; init; } = true;

    /// <summary>
    /// How many files may stay open and memory-mapped between collections, so warm collections read them
    /// without opening them again (default 16384). The effective budget is also capped at half the process's
    /// open-file limit and half the kernel's map-count limit; files beyond it are read with <c>pread</c> each
    /// time; when it is full, a file no process can write any more (a dead worker's, no longer read) gives
    /// its place up to a file that changes. 0 keeps nothing open (every collection opens, reads and closes each file).
    /// A one-shot collection never maps: a file is kept from the reader's second collection on (see
    /// <see cref="KeptFileIdleTimeout"/>).
    /// </summary>
    public int MaxKeptFiles { get; init; } = 16384;

    /// <summary>
    /// How long a kept file may go without any change before it is closed and unmapped again (default
    /// <see cref="Timeout.InfiniteTimeSpan"/>: kept while it exists and the budget allows). A file let go is read
    /// with open/read/close on every collection until it changes again, which costs several times more than
    /// reading its mapping. Keeping files does not stop compaction: it counts only processes that hold a file for
    /// writing as live writers. (A compaction in the same process still makes readers of its directory let go of
    /// everything while it runs.) A finite timeout frees the budget of <see cref="MaxKeptFiles"/> for files that
    /// change, when a directory holds more files than that.
    /// </summary>
    public TimeSpan KeptFileIdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long the directory must have gone unchanged before a listing lets later collections skip listing it
    /// while its change time stays the same (tests shorten it).
    /// </summary>
    internal TimeSpan ListingSettleTime { get; init; } = DirectoryStamp.DefaultSettleTime;

    /// <summary>
    /// How long a listing of every name may vouch for the directory, with the directory watch or its change time saying
    /// what changed since (default 60 s; tests shorten it). A server's reader lists again after a response when the next
    /// scrape would otherwise have to.
    /// </summary>
    internal TimeSpan ListingReuseLimit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>List with the framework's enumeration, as where <c>getdents64</c> is missing (tests of that path).</summary>
    internal bool FrameworkListing { get; init; }

    /// <summary>Which <c>*.db</c> file names to read (null: all). Called with the file name only.</summary>
    internal Func<string, bool>? FileFilter { get; init; }

    /// <summary>
    /// Freezes files no process can write any more (see <c>FrozenFiles</c>): later collections skip them until the
    /// directory watch reports something happening to them (tests turn it off to compare).
    /// </summary>
    internal bool FreezeDeadFiles { get; init; } = true;

    /// <summary>Reads a first collection's files ahead on a second thread (tests turn it off to compare).</summary>
    internal bool ColdReadAhead { get; init; } = true;

    /// <summary>
    /// From this many entries to fold on, a merge folds and emits its families on every core (tests lower it to split
    /// small merges, or raise it to keep every merge on one thread, and compare).
    /// </summary>
    internal long ParallelMergeMinimumEntries { get; init; } = 100_000;

    /// <summary>
    /// From this many changed entries on, the merge per changed slot runs on every core (a GitLab-sized host's writers
    /// change ~125,000 entries between two scrapes 5 s apart; tests lower it to split small updates, and compare).
    /// </summary>
    internal long ParallelSlotUpdateMinimumChanges { get; init; } = 8_192;

    /// <summary>
    /// Probes the files a collection offers for freezing after its response, on the thread pool, instead of before its
    /// merge (servers: freezing only spares later collections work, so a scrape need not wait for it). The server starts
    /// them once the response is sent (<see cref="MultiProcessDirectory.ProbeAfterResponse"/>); the next collection makes
    /// those nobody started first.
    /// </summary>
    internal bool ProbeAfterCollection { get => _probeAfterCollection; init => _probeAfterCollection = value; }

    private bool _probeAfterCollection;

    /// <summary>
    /// Collects ahead of the next scrape, on the thread pool, shortly after <c>*.db</c> files appear, vanish or are
    /// renamed (servers: a replaced worker's new files are then read between scrapes, not inside the next one). See
    /// <see cref="CollectionsAhead"/>.
    /// </summary>
    internal bool CollectAheadOnNewFiles { get => _collectAheadOnNewFiles; init => _collectAheadOnNewFiles = value; }

    private bool _collectAheadOnNewFiles;

    /// <summary>
    /// Collects and formats on the thread pool as soon as the reader is opened (servers: the first scrape after a start
    /// then only refreshes what changed since, instead of reading, merging and formatting every file inside Prometheus's
    /// scrape timeout). See <see cref="MultiProcessDirectory.CollectionAtStart"/>.
    /// </summary>
    internal bool CollectAtStart { get => _collectAtStart; init => _collectAtStart = value; }

    private bool _collectAtStart;

    /// <summary>Runs before the probes made after a response (tests: a fault there must not end the process).</summary>
    internal Action? BeforeProbesAfterResponse { get; init; }

    /// <summary>Runs before each collection ahead of a scrape (tests: a fault there must not end the process).</summary>
    internal Action? BeforeCollectionAhead { get; init; }

    /// <summary>Runs after each stage of a collection (tests: a collection that fails half way).</summary>
    internal Action<CollectionStage>? AfterStage { get; init; }

    /// <summary>Runs before a file that looked damaged is read again, with its name (tests: a torn read).</summary>
    internal Action<string>? BeforeDamagedFileReread { get; init; }

    /// <summary>Runs once before the collections at start, outside the reader's lock (tests: a scrape that comes first).</summary>
    internal Action? BeforeCollectionsAtStart { get; init; }

    /// <summary>
    /// A copy of these options as a server's reader wants them: <see cref="ProbeAfterCollection"/>,
    /// <see cref="CollectAheadOnNewFiles"/> and <see cref="CollectAtStart"/> on.
    /// </summary>
    internal MultiProcessDirectoryOptions ForServer()
    {
        var copy = (MultiProcessDirectoryOptions)MemberwiseClone();
        copy._probeAfterCollection = true;
        copy._collectAheadOnNewFiles = true;
        copy._collectAtStart = true;
        return copy;
    }
}
