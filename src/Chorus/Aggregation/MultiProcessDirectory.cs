using System.Buffers;
using System.Diagnostics;
using Chorus.Exposition;

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
/// <para>Made of stages over the files it holds: <see cref="ConsistentLoad"/> (<see cref="DirectoryListing"/> with
/// <see cref="LiveFiles"/>, then <see cref="FileRefresh"/>), <see cref="MergePreparation"/>, the merge
/// (<see cref="FamilyMerge"/>), <see cref="VanishedFiles"/>, <see cref="CollectionReporting"/> and
/// <see cref="FamilyRenderings"/>.</para>
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
    private readonly FrozenFiles _frozen;
    private readonly DirectoryListing _listing;
    private readonly FileRefresh _refresh;
    private readonly CollectionReporting _reporting;
    private readonly List<MetricFamily> _output = [];
    private readonly List<FamilyState> _emitted = [];
    private readonly CollectionStageTimes _times = new();
    private readonly ConsistentLoad _load;
    private readonly MergePreparation _preparation;
    private readonly VanishedFiles _vanished;
    private readonly FamilyRenderings _renderings;
    private readonly WorkAfterResponse _afterResponse;

    // The collection in progress, or the last one.
    private int _collections;

    private bool _disposed;

    private MultiProcessDirectory(string directory, MultiProcessDirectoryOptions options)
    {
        Directory = directory;
        _options = options;
        long idleMilliseconds = options.KeptFileIdleTimeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)options.KeptFileIdleTimeout.TotalMilliseconds;
        _loader = new FileLoader(_keys, KeptFileBudget.Resolve(options.MaxKeptFiles), idleMilliseconds) { ReleaseAll = ReleaseAllKept };
        _filesBySpan = _files.GetAlternateLookup<ReadOnlySpan<char>>();
        _merge = new FamilyMerge(_keys, options.ParallelMergeMinimumEntries, options.ParallelSlotUpdateMinimumChanges);
        _liveFiles = new LiveFiles(_files, _ordered, _times);
        _live = _liveFiles.Files;
        _frozen = new FrozenFiles(directory, _filesBySpan, options.FreezeDeadFiles, _liveFiles.OnFrozenOrThawed);
        _loader.MakeKeptRoom = _frozen.KeptToGiveUp;
        _listing = new DirectoryListing(directory, options, _files, _ordered, _liveFiles, _frozen, _loader);
        _refresh = new FileRefresh(directory, options, _keys, _loader, _frozen, _ordered, _live);
        _reporting = new CollectionReporting(_frozen, _ordered, _live);
        _load = new ConsistentLoad(new CompactionConsistency(directory), _listing, _liveFiles, _frozen, _refresh, _times, ReleaseAllKept);
        _preparation = new MergePreparation(options, _keys, _loader, _frozen, _liveFiles, _times);
        _vanished = new VanishedFiles(_files, _ordered, _listing, _liveFiles, _loader, _keys);
        _renderings = new FamilyRenderings(_emitted, _times);
        _afterResponse = new WorkAfterResponse(directory, options, _frozen, _listing, _liveFiles, _times);
        Diagnostics = new ReaderDiagnostics(_gate, _times, _keys, _ordered, _loader, _refresh, _frozen, _merge, _renderings, _output, _afterResponse);
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
        if (_renderings.LastWritten is null)
        {
            StartCollectionsAhead();
        }

        _renderings.Write(output, format, escaping);
        _times.Write();
    }

    /// <summary>What the stages did in the last collection and hold now (tests, stage-time lines).</summary>
    internal ReaderDiagnostics Diagnostics { get; }

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
            _afterResponse.NoteScrapeStarted(pass.Now);
        }


        // Before listing or refreshing anything: thaws the frozen files something happened to since the last collection.
        // A server's scrape leaves the probes pending to after its response: a file frozen now would cost the scrape its
        // families' merge (their per-slot state is rebuilt without it), which a preparation just before it was to spare.
        _frozen.Begin(_collections, pass.Now, probeFirst: ahead || !_options.ProbeAfterCollection);
        long at = _times.Add(CollectionStage.Watch, started);
        IReadOnlySet<string> excluded = _load.Load(pass, out bool structureChanged);
        at = Stopwatch.GetTimestamp();
        _merge.NoteChangedValues(_live, pass.Collection);
        at = _times.Add(CollectionStage.MarkChanged, at);
        int generation = pass.Generation;
        bool mergeAll = _preparation.Prepare(pass, excluded);
        at = Stopwatch.GetTimestamp();
        if (mergeAll || structureChanged)
        {
            // Only files read in full (or added, removed or excluded) can change a family's gauge mode.
            _merge.ApplyGaugeModes(_ordered, excluded, generation);
            at = _times.Add(CollectionStage.GaugeModes, at);
        }

        _merge.UpdateChangedSlots(generation, _load.RankNumbering);
        at = _times.Add(CollectionStage.MergeSlots, at);
        int entries = _reporting.CountEntries(excluded);
        at = _times.Add(CollectionStage.CountEntries, at);
        _merge.MergeChanged(_ordered, _live, excluded, generation, _load.RankNumbering);
        at = _times.Add(CollectionStage.Merge, at);
        Diagnostics.LastFamiliesMerged = _merge.Emit(generation, _options.Accumulate, _output, _emitted);
        at = _times.Add(CollectionStage.Emit, at);
        _vanished.Forget(pass);
        at = _times.Add(CollectionStage.Forget, at);
        Diagnostics.LastListingSkipped = pass.NamesUnchanged;
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

    private void ReleaseAllKept()
    {
        foreach (FileState state in _files.Values)
        {
            _loader.Release(state);
        }
    }
}
