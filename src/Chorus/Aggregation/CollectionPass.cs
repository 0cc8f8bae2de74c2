namespace Chorus.Aggregation;

/// <summary>
/// What one collection shares with the stages that read files: its number, its time, the pass (generation) in progress,
/// whether the directory's names are known unchanged, and what was read and found. Made by each collection and passed to
/// the loader, so nothing of one collection lives on in the loader.
/// </summary>
internal sealed class CollectionPass(int collection, long now)
{
    private long _bytesRead;

    /// <summary>Where the collection's time goes (<see cref="CollectionStageTimes"/>).</summary>
    public CollectionStageTimes Times { get; init; } = new();

    /// <summary>The collection (retries inside one collection share it).</summary>
    public int Collection { get; } = collection;

    /// <summary>Time of the collection (<see cref="Environment.TickCount64"/>).</summary>
    public long Now { get; } = now;

    /// <summary>The pass (listing generation) in progress: files refreshed ahead in it carry this number.</summary>
    public int Generation { get; private set; }

    /// <summary>Which pass of the collection this is (1 unless a compaction made it repeat).</summary>
    public int Attempt { get; private set; }

    /// <summary>
    /// True when the directory's names are known not to have changed since the last collection (its listing was
    /// skipped): no file was replaced or deleted, so a file's identity needs no new check.
    /// </summary>
    public bool NamesUnchanged { get; set; }

    /// <summary>
    /// True when the change map sidecars created since the last collection are known (<see cref="ChangeMapsCreated"/>):
    /// the directory watch reported every name, or the directory did not change.
    /// </summary>
    public bool ChangeMapsKnown { get; set; }

    /// <summary>The <c>.db</c> names whose change map sidecar the directory watch saw created (null: none).</summary>
    public HashSet<string>? ChangeMapsCreated { get; set; }

    /// <summary>Bytes read by the pass.</summary>
    public long BytesRead => _bytesRead;

    /// <summary>Entries parsed (keys resolved) by the pass.</summary>
    public int EntriesParsed { get; set; }

    /// <summary>Files read in full (not only their values refreshed) by the pass: their entries may have changed.</summary>
    public int FullReads { get; set; }

    /// <summary>The problems the pass found, in file order.</summary>
    public List<FileProblem> Problems { get; private set; } = [];

    /// <summary>Files read cleanly or damaged (frozen ones included): what the merge takes from.</summary>
    public int FilesRead { get; set; }

    /// <summary>Files that disappeared between listing and reading (null: none).</summary>
    public List<FileState>? Vanished { get; set; }

    /// <summary>Why nothing of the directory is served (null: it was read).</summary>
    public string? DirectoryError { get; set; }

    /// <summary>Starts a pass (the first, or one repeated because a compaction ran): counters and problems start afresh.</summary>
    public void Begin(int generation)
    {
        Generation = generation;
        Attempt++;
        _bytesRead = 0;
        EntriesParsed = 0;
        FullReads = 0;
        Problems = [];
        FilesRead = 0;
        Vanished = null;
        DirectoryError = null;

        // Each pass's listing says again; the sidecars seen created by an earlier pass of the collection stay looked for.
        ChangeMapsKnown = false;
    }

    /// <summary>Whether a kept file named <paramref name="fileName"/> without a change map looks for one in this pass.</summary>
    public ChangeMapLookup ChangeMapLookupFor(string fileName) =>
        !ChangeMapsKnown ? ChangeMapLookup.Periodic
        : ChangeMapsCreated?.Contains(fileName) == true ? ChangeMapLookup.Now
        : ChangeMapLookup.Skip;

    /// <summary>Counts bytes read on the collecting thread.</summary>
    public void CountRead(long bytes) => _bytesRead += bytes;

    /// <summary>Counts bytes read by one worker of a refresh that runs on several threads at once.</summary>
    public void CountReadConcurrently(long bytes) => Interlocked.Add(ref _bytesRead, bytes);
}
