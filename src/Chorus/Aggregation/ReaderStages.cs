using Chorus.Exposition;

namespace Chorus.Aggregation;

/// <summary>
/// The stages of a <see cref="MultiProcessDirectory"/> and what they share between collections (the files held and their
/// order, the key table, the merged families), made empty, as a new reader has them. The reader makes a new set after
/// a collection that failed half way, which may have taken in values it never merged.
/// </summary>
/// <remarks>Not thread-safe: used under the reader's lock.</remarks>
internal sealed class ReaderStages
{
    private readonly Dictionary<string, FileState> _files = new(StringComparer.Ordinal);

    public ReaderStages(string directory, MultiProcessDirectoryOptions options, CollectionStageTimes times, Lock gate)
    {
        long idleMilliseconds = options.KeptFileIdleTimeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)options.KeptFileIdleTimeout.TotalMilliseconds;
        Loader = new FileLoader(Keys, KeptFileBudget.Resolve(options.MaxKeptFiles), idleMilliseconds, options.BeforeDamagedFileReread) { ReleaseAll = ReleaseAllKept };
        Merge = new FamilyMerge(Keys, options.ParallelMergeMinimumEntries, options.ParallelSlotUpdateMinimumChanges);
        LiveFiles = new LiveFiles(_files, Ordered, times);
        Frozen = new FrozenFiles(directory, _files.GetAlternateLookup<ReadOnlySpan<char>>(), options.FreezeDeadFiles, LiveFiles.OnFrozenOrThawed);
        Loader.MakeKeptRoom = Frozen.KeptToGiveUp;
        Listing = new DirectoryListing(directory, options, _files, Ordered, LiveFiles, Frozen, Loader);
        Refresh = new FileRefresh(directory, options, Keys, Loader, Frozen, Ordered, Live);
        Reporting = new CollectionReporting(Frozen, Ordered, Live);
        Load = new ConsistentLoad(new CompactionConsistency(directory), Listing, LiveFiles, Frozen, Refresh, times, ReleaseAllKept);
        Preparation = new MergePreparation(options, Keys, Loader, Frozen, LiveFiles, times);
        Vanished = new VanishedFiles(_files, Ordered, Listing, LiveFiles, Loader, Keys);
        Renderings = new FamilyRenderings(Emitted, times);
        AfterResponse = new WorkAfterResponse(directory, options, Frozen, Listing, LiveFiles, times);
        Diagnostics = new ReaderDiagnostics(gate, times, Keys, Ordered, Loader, Refresh, Frozen, Merge, Renderings, Output, AfterResponse);
    }

    public KeyTable Keys { get; } = new();

    /// <summary>Every file held, in file order.</summary>
    public List<FileState> Ordered { get; } = [];

    public LiveFiles LiveFiles { get; }

    /// <summary>The files not frozen, in file order: the only ones a warm collection refreshes.</summary>
    public List<FileState> Live => LiveFiles.Files;

    public FileLoader Loader { get; }

    public FrozenFiles Frozen { get; }

    public DirectoryListing Listing { get; }

    public FileRefresh Refresh { get; }

    public ConsistentLoad Load { get; }

    public MergePreparation Preparation { get; }

    public FamilyMerge Merge { get; }

    public VanishedFiles Vanished { get; }

    public CollectionReporting Reporting { get; }

    public FamilyRenderings Renderings { get; }

    public WorkAfterResponse AfterResponse { get; }

    public ReaderDiagnostics Diagnostics { get; }

    /// <summary>The families the last collection emitted, in name order.</summary>
    public List<MetricFamily> Output { get; } = [];

    /// <summary>The states of <see cref="Output"/>'s families, in the same order.</summary>
    public List<FamilyState> Emitted { get; } = [];

    /// <summary>Unmaps and closes every file held open.</summary>
    public void LetGoOfFiles()
    {
        ReleaseAllKept();
        Loader.Dispose();
        Frozen.Dispose();
    }

    private void ReleaseAllKept()
    {
        foreach (FileState state in _files.Values)
        {
            Loader.Release(state);
        }
    }
}
