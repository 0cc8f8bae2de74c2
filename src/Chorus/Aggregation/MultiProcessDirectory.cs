using System.Buffers;
using System.Diagnostics;
using Chorus.Exposition;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// A prometheus_client multiprocess directory (<c>PROMETHEUS_MULTIPROC_DIR</c>) merged into metric families
/// exactly as prometheus_client's <c>MultiProcessCollector</c> does, read incrementally: keys are parsed once
/// per file and later collections only re-read values and parse appended entries.
/// </summary>
/// <remarks>
/// <para>Thread-safe: concurrent collections are serialised and each one reads the directory afresh.</para>
/// <para>Never throws for bad files: damaged files contribute their complete entries, unreadable or
/// unrecognised ones are skipped, and <see cref="LastReport"/> says which and why.</para>
/// <para>Output order: families by name; inside a family label sets sorted; per label set a histogram's
/// buckets ascending, then <c>_count</c>, then <c>_sum</c>; other samples by name.</para>
/// <para>Made of stages over the files it holds: <see cref="DirectoryListing"/> (with <see cref="LiveFiles"/>),
/// <see cref="FileRefresh"/>, the merge, and <see cref="CollectionReporting"/>.</para>
/// </remarks>
public sealed partial class MultiProcessDirectory : IScrapeSource, IDisposable
{
    private readonly Lock _gate = new();
    private readonly MultiProcessDirectoryOptions _options;
    private readonly KeyTable _keys = new();
    private readonly FamilyMerge _merge;
    private readonly FileLoader _loader;
    private readonly Dictionary<string, FileState> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileState>.AlternateLookup<ReadOnlySpan<char>> _filesBySpan;
    private readonly List<FileState> _ordered = [];

    // The files not frozen, in file order (_liveFiles.Files): the only ones a warm collection refreshes.
    private readonly LiveFiles _liveFiles;
    private readonly List<FileState> _live;

    // Changes whenever file ranks (FileState.Rank) are numbered again (a copy of the listing's, taken after each listing).
    private int _rankNumbering;
    private readonly FrozenFiles _frozen;
    private readonly DirectoryListing _listing;
    private readonly FileRefresh _refresh;
    private readonly CollectionReporting _reporting;
    private readonly List<MetricFamily> _output = [];
    private readonly List<FamilyState> _emitted = [];
    private readonly CompactionConsistency _consistency;
    private readonly CollectionStageTimes _times = new();

    // Reused by every collection so a warm collection does not allocate one entry per file.
    private readonly Dictionary<string, FileIdentity> _identities = new(StringComparer.Ordinal);
    private int _generation;

    // The collection in progress, or the last one.
    private int _collections;

    // Scrapes written out (not collections ahead): how old a family's renderings are (RenderedFamily.Written).
    private int _scrapesWritten;
    private bool _excludedLastTime;
    private bool _disposed;

    private MultiProcessDirectory(string directory, MultiProcessDirectoryOptions options)
    {
        Directory = directory;
        _options = options;
        long idleMilliseconds = options.KeptFileIdleTimeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)options.KeptFileIdleTimeout.TotalMilliseconds;
        _loader = new FileLoader(_keys, KeptFileBudget.Resolve(options.MaxKeptFiles), idleMilliseconds) { ReleaseAll = ReleaseAllKept };
        _filesBySpan = _files.GetAlternateLookup<ReadOnlySpan<char>>();
        _consistency = new CompactionConsistency(directory);
        _merge = new FamilyMerge(_keys, options.ParallelMergeMinimumEntries, options.ParallelSlotUpdateMinimumChanges);
        _liveFiles = new LiveFiles(_files, _ordered, _times);
        _live = _liveFiles.Files;
        _frozen = new FrozenFiles(directory, _filesBySpan, options.FreezeDeadFiles, _liveFiles.OnFrozenOrThawed);
        _loader.MakeKeptRoom = _frozen.KeptToGiveUp;
        _listing = new DirectoryListing(directory, options, _files, _ordered, _liveFiles, _frozen, _loader);
        _refresh = new FileRefresh(directory, options, _keys, _loader, _frozen, _ordered, _live);
        _reporting = new CollectionReporting(_frozen, _ordered, _live);
    }

    /// <summary>The directory read.</summary>
    public string Directory { get; }

    /// <summary>What the last collection did (files read, skipped and damaged, bytes, time).</summary>
    public CollectionReport LastReport { get; private set; } = CollectionReport.None;

    /// <summary>Opens a directory for collection. Nothing is read until the first collection.</summary>
    /// <param name="directory">The multiprocess directory.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist (or is a file).</exception>
    public static MultiProcessDirectory Open(string directory, MultiProcessDirectoryOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(File.Exists(directory)
                ? $"'{directory}' is a file, not a directory."
                : $"The directory '{directory}' does not exist.");
        }

        var reader = new MultiProcessDirectory(Path.GetFullPath(directory), options ?? MultiProcessDirectoryOptions.Default);
        reader.StartCollectionAtStart();
        return reader;
    }

    /// <summary>Collects and writes the whole exposition in <paramref name="format"/>, names outside the classic character set escaped with underscores.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    public void Collect(IBufferWriter<byte> output, ExpositionFormat format) => Collect(output, format, EscapingScheme.Underscores);

    /// <summary>Collects and writes the whole exposition in <paramref name="format"/>, names outside the classic character set written as <paramref name="escaping"/> says.</summary>
    /// <param name="output">Where the UTF-8 bytes go.</param>
    /// <param name="format">The exposition format.</param>
    /// <param name="escaping">How names outside the classic character set are written.</param>
    public void Collect(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping)
    {
        ArgumentNullException.ThrowIfNull(output);
        lock (_gate)
        {
            CollectAndWrite(output, format, escaping);
        }

        ExpositionWriter.WriteEnd(output, format);
    }

    /// <summary>Collects and writes every family, not what ends the exposition. Called under <see cref="_gate"/>.</summary>
    private void CollectAndWrite(IBufferWriter<byte> output, ExpositionFormat format, EscapingScheme escaping)
    {
        CollectCore();
        if (_lastWritten is null)
        {
            StartCollectionsAhead();
        }

        _lastWritten = (format, escaping);
        long started = Stopwatch.GetTimestamp();
        ParallelRendering.RenderStale(_emitted, format, escaping);
        _scrapesWritten++;
        foreach (FamilyState family in _emitted)
        {
            family.Rendered.WriteTo(output, family.Output, family.MergedIn, format, escaping);
            family.Rendered.Written(family.MergedIn, format, escaping, _scrapesWritten);
        }

        _times.Add(CollectionStage.Render, started);
        _times.Write();
    }

    /// <summary>Where the last collection's time went (for tests and <see cref="CollectionStageTimes.Variable"/>).</summary>
    internal CollectionStageTimes LastStageTimes => _times;

    /// <summary>How many renderings the emitted families keep, all formats together (tests).</summary>
    internal int RenderingsKept
    {
        get
        {
            lock (_gate)
            {
                return _emitted.Sum(family => family.Rendered.RenderingsKept);
            }
        }
    }

    /// <summary>How many families the last collection merged again (the others' samples were reused), for tests.</summary>
    internal int LastFamiliesMerged { get; private set; }

    /// <summary>How many families the last collection built frozen parts for over every frozen file, for tests (0 when files froze or thawed in place).</summary>
    internal int LastFrozenPartsBuilt => _merge.LastFrozenPartsBuilt;

    /// <summary>The families the last collection handed to the writer, as they are (tests: their <see cref="MetricFamily.Edits"/>).</summary>
    internal IReadOnlyList<MetricFamily> LastFamilies => _output;

    /// <summary>How many slots the last collection updated per changed slot, without a full merge of their families (tests).</summary>
    internal int LastSlotsUpdated => _merge.LastSlotsUpdated;

    /// <summary>How many sum slots with frozen parts the last collection folded again per changed slot (tests).</summary>
    internal int LastFrozenSumsRefolded => _merge.LastFrozenSumsRefolded;

    /// <summary>How many listings of every name were made after a response, and found every name as listed (tests).</summary>
    internal int NamesCheckedAfterResponse => Volatile.Read(ref _namesCheckedAfterResponse);

    /// <summary>How many threads the last collection's merge folded on (tests).</summary>
    internal int LastMergeWorkers => _merge.LastMergeWorkers;

    /// <summary>How many threads the last collection's merge per changed slot ran on (tests).</summary>
    internal int LastSlotWorkers => _merge.LastSlotWorkers;

    /// <summary>Whether the last collection skipped listing the directory (its names had not changed), for tests.</summary>
    internal bool LastListingSkipped { get; private set; }

    /// <summary>How many workers the last warm refresh ran: 1 on one thread, one per core on a big directory (for tests).</summary>
    internal int RefreshWorkers => _refresh.RefreshWorkers;

    /// <summary>Files the last collection took from a <see cref="ColdReadAhead"/> (for tests).</summary>
    internal int FilesReadAhead => _refresh.FilesReadAhead;

    /// <summary>Files frozen after the last collection (no process can write them; see <see cref="FrozenFiles"/>), for tests.</summary>
    internal int FrozenFileCount
    {
        get
        {
            lock (_gate)
            {
                // As the next collection would see them.
                _frozen.ProbePending(Environment.TickCount64);
                return _frozen.Count;
            }
        }
    }

    /// <summary>Slots held in memory (tests of bounded memory under churn).</summary>
    internal int SlotCount
    {
        get
        {
            lock (_gate)
            {
                return _keys.SlotCount;
            }
        }
    }

    /// <summary>Collects and returns a copy of the merged families (for tests, tools and compaction; allocates).</summary>
    public IReadOnlyList<MetricFamily> CollectFamilies()
    {
        lock (_gate)
        {
            CollectCore();
            var copy = new List<MetricFamily>(_output.Count);
            foreach (MetricFamily family in _output)
            {
                var clone = new MetricFamily(family.Name, family.Type, family.Help, family.Unit);
                clone.SampleList.AddRange(family.SampleList);
                copy.Add(clone);
            }

            _frozen.ProbePending(Environment.TickCount64);
            return copy;
        }
    }

    /// <summary>The length of the buffer files are read into by path (for tests).</summary>
    internal int ReadBufferLength => _loader.ReadBufferLength;

    /// <inheritdoc />
    public void Dispose()
    {
        CollectionsAhead? ahead;
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                ReleaseAllKept();
                _loader.Dispose();
                _frozen.Dispose();
            }

            ahead = _ahead;
            _ahead = null;
        }

        // A collection ahead that starts from now on finds the reader disposed and does nothing.
        ahead?.Dispose();
    }

    /// <summary>Collects: lists, loads, merges and emits. A collection <paramref name="ahead"/> of the next scrape leaves its report to that scrape's.</summary>
    private void CollectCore(bool ahead = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long started = Stopwatch.GetTimestamp();
        _times.Clear();
        var pass = new CollectionPass(++_collections, Environment.TickCount64) { Times = _times };
        if (!ahead)
        {
            NoteScrapeStarted(pass.Now);
        }


        // Before listing or refreshing anything: thaws the frozen files something happened to since the last collection.
        _frozen.Begin(_collections, pass.Now);
        long at = _times.Add(CollectionStage.Watch, started);
        IReadOnlySet<string> excluded = LoadConsistently(pass, out bool structureChanged);
        at = Stopwatch.GetTimestamp();
        _merge.NoteChangedValues(_live, pass.Collection);
        at = _times.Add(CollectionStage.MarkChanged, at);
        int generation = pass.Generation;
        bool mergeAll = PrepareMerge(pass, excluded);
        at = Stopwatch.GetTimestamp();
        if (mergeAll || structureChanged)
        {
            // Only files read in full (or added, removed or excluded) can change a family's gauge mode.
            _merge.ApplyGaugeModes(_ordered, excluded, generation);
            at = _times.Add(CollectionStage.GaugeModes, at);
        }

        _merge.UpdateChangedSlots(generation, _rankNumbering);
        at = _times.Add(CollectionStage.MergeSlots, at);
        int entries = _reporting.CountEntries(excluded);
        at = _times.Add(CollectionStage.CountEntries, at);
        _merge.MergeChanged(_ordered, _live, excluded, generation, _rankNumbering);
        at = _times.Add(CollectionStage.Merge, at);
        LastFamiliesMerged = _merge.Emit(generation, _options.Accumulate, _output, _emitted);
        at = _times.Add(CollectionStage.Emit, at);
        ForgetVanished(pass);
        at = _times.Add(CollectionStage.Forget, at);
        LastListingSkipped = pass.NamesUnchanged;
        if (ahead)
        {
            _bytesReadAhead += pass.BytesRead;
        }
        else
        {
            pass.CountRead(_bytesReadAhead);
            _bytesReadAhead = 0;
            LastReport = _reporting.Report(pass, entries, _output.Count, started, _loader.KeptCount);
        }

        _loader.DisposeGivenUp();
        _loader.EndCollection();
        _times.Add(CollectionStage.Report, at);
    }

    /// <summary>
    /// Lists and loads the files until one consistent view (a compaction may move counts between files meanwhile), and
    /// returns the files to leave out; <paramref name="structureChanged"/> when files were read in full, added or gone.
    /// </summary>
    private IReadOnlySet<string> LoadConsistently(CollectionPass pass, out bool structureChanged)
    {
        Dictionary<string, FileIdentity> identities = _identities;
        structureChanged = false;
        for (int attempt = 1; ; attempt++)
        {
            // A compaction may move counts between files while we read: repeat until one consistent view.
            CompactionConsistency.Snapshot before = _consistency.Begin();
            pass.Begin(++_generation);
            long at = Stopwatch.GetTimestamp();
            pass.DirectoryError = _listing.List(pass);
            at = _times.Add(CollectionStage.Listing, at);
            _rankNumbering = _listing.RankNumbering;
            structureChanged |= _liveFiles.Update(_frozen);
            at = _times.Add(CollectionStage.LiveList, at);
            identities.Clear();

            // Which file each name was is needed only to reconcile with a journal, or to leave everything out.
            _refresh.LoadAll(pass, _listing.DirectoriesNamedDb, before.Journal is not null || attempt == CompactionConsistency.MaxAttempts ? identities : null);
            structureChanged |= pass.FullReads > 0 || pass.Vanished is not null;
            if (_consistency.Check(before, identities) is { } excluded)
            {
                if (before.JournalError is { } journalError)
                {
                    pass.Problems.Add(new FileProblem(CompactionJournal.FileName, FileProblemKind.Unreadable, journalError + "; compaction refuses to run until it is restored or removed", DbDamage.None, 0));
                }

                return excluded;
            }

            if (attempt == CompactionConsistency.MaxAttempts)
            {
                // Serving a count twice or not at all is worse than failing this scrape.
                pass.DirectoryError = "a compaction is in progress or was interrupted; no consistent view was found (run 'chorus compact' to recover)";
                return identities.Keys.ToHashSet(StringComparer.Ordinal);
            }

            if (before.Journal is not null)
            {
                // A kept descriptor can be the archive a compactor has just replaced: the backup's hard link keeps
                // the old inode linked until the run ends (or, if the compactor was killed, until a recovery), so
                // nothing tells it apart from the current archive. The next pass opens every name afresh.
                ReleaseAllKept();
            }

            CompactionConsistency.Pause(attempt);
        }
    }

    /// <summary>
    /// Readies the merge: freezes the files offered (on a consistent pass), lets idle kept files go, and marks every family
    /// changed when everything must merge again; true then.
    /// </summary>
    private bool PrepareMerge(CollectionPass pass, IReadOnlySet<string> excluded)
    {
        // Families whose entries are all as the last collection merged them keep their samples. Anything that can
        // change the merge without a value or file changing (a retry, files excluded now or last time, the directory
        // gone) merges everything again.
        bool mergeAll = pass.Attempt > 1 || excluded.Count > 0 || _excludedLastTime || pass.DirectoryError is not null;
        _excludedLastTime = excluded.Count > 0;
        long at = Stopwatch.GetTimestamp();
        if (!mergeAll)
        {
            // Only a consistent pass over the directory as it is may freeze files. A probe that saw an event thaws that
            // file, which the merge must then take from the live files.
            if (_options.ProbeAfterCollection)
            {
                _frozen.ProbeLater();
            }
            else
            {
                _frozen.FreezeOffered(pass.Now);
                _liveFiles.Update(_frozen);
                at = _times.Add(CollectionStage.Freeze, at);
            }
        }

        if (_options.KeptFileIdleTimeout != Timeout.InfiniteTimeSpan)
        {
            // Frozen files are not loaded, so the idle timeout (a budget for directories of many changing files) is applied here.
            foreach (FileState file in _frozen.Files)
            {
                _loader.ReleaseIfIdle(file, pass.Now);
            }
        }

        if (mergeAll)
        {
            foreach (FamilyState family in _keys.OrderedFamilies)
            {
                // Excluded files, now or last time, change what the frozen parts hold.
                family.ChangedIn = pass.Generation;
                family.FrozenStale = true;
            }
        }

        _times.Add(CollectionStage.PrepareMerge, at);
        return mergeAll;
    }

    /// <summary>After the merge: forgets the files that vanished and sweeps the series of files gone.</summary>
    private void ForgetVanished(CollectionPass pass)
    {
        List<FileState>? vanished = pass.Vanished;
        if (vanished is not null)
        {
            _listing.Distrust();
            _liveFiles.Stale = true;
            foreach (FileState file in vanished)
            {
                _loader.Release(file);
                _files.Remove(file.FileName);
                _ordered.Remove(file);
            }
        }

        // Series of files that went away (dead workers' live gauges, pid-labelled series) would otherwise
        // pile up with worker churn; sweeping when the file set shrank keeps memory bounded by live series.
        if (_listing.FilesRemoved || vanished is not null || pass.Generation % 64 == 0)
        {
            _keys.Prune(pass.Generation);
            _listing.FilesRemoved = false;
        }
    }

    private void ReleaseAllKept()
    {
        foreach (FileState state in _files.Values)
        {
            _loader.Release(state);
        }
    }}
