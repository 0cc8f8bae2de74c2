using System.Buffers;
using System.Diagnostics;
using Chorus.Exposition;
using Chorus.Internal;

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
    private readonly CollectionStageTimes _times = new();

    // What the reader holds between collections, made anew after a collection that failed half way (ResetAfterFailure).
    private ReaderStages _stages;

    // Set by a collection that threw (out of memory, say): it may have read values it never merged, which the next
    // collection would then find unchanged and never merge.
    private bool _resetDue;

    // The collection in progress, or the last one.
    private int _collections;

    private bool _disposed;

    private MultiProcessDirectory(string directory, MultiProcessDirectoryOptions options)
    {
        Directory = directory;
        _options = options;
        _stages = new ReaderStages(directory, options, _times, _gate);
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
        if (_stages.Renderings.LastWritten is null)
        {
            StartCollectionsAhead();
        }

        _stages.Renderings.Write(output, format, escaping);
        _times.Write();
    }

    /// <summary>What the stages did in the last collection and hold now (tests, stage-time lines).</summary>
    internal ReaderDiagnostics Diagnostics => _stages.Diagnostics;

    /// <summary>Collects and returns a copy of the merged families (for tests, tools and compaction; allocates).</summary>
    public IReadOnlyList<MetricFamily> CollectFamilies()
    {
        lock (_gate)
        {
            CollectCore();
            var copy = new List<MetricFamily>(_stages.Output.Count);
            foreach (MetricFamily family in _stages.Output)
            {
                var clone = new MetricFamily(family.Name, family.Type, family.Help, family.Unit);
                clone.SampleList.AddRange(family.Samples);
                copy.Add(clone);
            }

            _stages.Frozen.ProbePending(Environment.TickCount64);
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
                _stages.LetGoOfFiles();
            }

            ahead = _ahead;
            _ahead = null;
        }

        // A collection ahead that starts from now on finds the reader disposed and does nothing.
        ahead?.Dispose();
    }

    /// <summary>
    /// Collects: lists, loads, merges and emits. A collection <paramref name="ahead"/> of the next scrape leaves its report to
    /// that scrape's. One that throws leaves the next to read the directory afresh.
    /// </summary>
    private void CollectCore(bool ahead = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_resetDue)
        {
            ResetAfterFailure();
        }

        try
        {
            RunStages(ahead);
        }
        catch (Exception failure)
        {
            _resetDue = true;
            ChorusEventSource.Log.CollectionFailed(Directory, failure.Message);
            throw;
        }
    }

    /// <summary>
    /// Lets go of what the reader holds and starts it empty, so the next collection reads every file in full: a collection
    /// that failed half way may have taken in some files' new values and not merged them, and a later collection would
    /// find those values unchanged and keep serving the sums without them.
    /// </summary>
    private void ResetAfterFailure()
    {
        _resetDue = false;
        _stages.LetGoOfFiles();
        _stages = new ReaderStages(Directory, _options, _times, _gate);
    }

    private void RunStages(bool ahead)
    {
        long started = Stopwatch.GetTimestamp();
        _times.Clear();
        var pass = new CollectionPass(++_collections, Environment.TickCount64) { Times = _times };
        if (!ahead)
        {
            _stages.AfterResponse.NoteScrapeStarted(pass.Now);
        }


        // Before listing or refreshing anything: thaws the frozen files something happened to since the last collection.
        // A server's scrape leaves the probes pending to after its response: a file frozen now would cost the scrape its
        // families' merge (their per-slot state is rebuilt without it), which a preparation just before it was to spare.
        _stages.Frozen.Begin(_collections, pass.Now, probeFirst: ahead || !_options.ProbeAfterCollection);
        long at = Ended(CollectionStage.Watch, started);
        IReadOnlySet<string> excluded = _stages.Load.Load(pass, out bool structureChanged);
        at = Stopwatch.GetTimestamp();
        _stages.Merge.NoteChangedValues(_stages.Live, pass.Collection);
        at = Ended(CollectionStage.MarkChanged, at);
        int generation = pass.Generation;
        bool mergeAll = _stages.Preparation.Prepare(pass, excluded);
        at = Stopwatch.GetTimestamp();
        if (mergeAll || structureChanged)
        {
            // Only files read in full (or added, removed or excluded) can change a family's gauge mode.
            _stages.Merge.ApplyGaugeModes(_stages.Ordered, excluded, generation);
            at = Ended(CollectionStage.GaugeModes, at);
        }

        _stages.Merge.UpdateChangedSlots(generation, _stages.Load.RankNumbering);
        at = Ended(CollectionStage.MergeSlots, at);
        int entries = _stages.Reporting.CountEntries(excluded);
        at = Ended(CollectionStage.CountEntries, at);
        _stages.Merge.MergeChanged(_stages.Ordered, _stages.Live, excluded, generation, _stages.Load.RankNumbering);
        at = Ended(CollectionStage.Merge, at);
        Diagnostics.LastFamiliesMerged = _stages.Merge.Emit(generation, _options.Accumulate, _stages.Output, _stages.Emitted);
        at = Ended(CollectionStage.Emit, at);
        _stages.Vanished.Forget(pass);
        at = Ended(CollectionStage.Forget, at);
        Diagnostics.LastListingSkipped = pass.NamesUnchanged;
        if (ahead)
        {
            _bytesReadAhead += pass.BytesRead;
        }
        else
        {
            pass.CountRead(_bytesReadAhead);
            _bytesReadAhead = 0;
            LastReport = _stages.Reporting.Report(pass, entries, _stages.Output.Count, started, _stages.Loader.KeptCount);
        }

        _stages.Loader.DisposeGivenUp();
        _stages.Loader.EndCollection();
        Ended(CollectionStage.Report, at);
    }

    /// <summary>Notes the time <paramref name="stage"/> took since <paramref name="started"/>; returns the time now.</summary>
    private long Ended(CollectionStage stage, long started)
    {
        long now = _times.Add(stage, started);
        _options.AfterStage?.Invoke(stage);
        return now;
    }
}
