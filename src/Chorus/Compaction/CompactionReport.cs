namespace Chorus.Compaction;

/// <summary>The outcome of <see cref="Compactor.Run(string, CompactionOptions?)"/>.</summary>
public sealed class CompactionReport
{
    /// <summary>The directory compacted.</summary>
    public required string Directory { get; init; }

    /// <summary>True when nothing was changed on purpose.</summary>
    public required bool DryRun { get; init; }

    /// <summary>Why the compactor refused to act (another compactor runs, writers cannot be seen), or null.</summary>
    public string? Refusal { get; init; }

    /// <summary>What recovery of an interrupted compaction did, or null when there was nothing to recover.</summary>
    public string? Recovery { get; init; }

    /// <summary>Every <c>.db</c> file's fate.</summary>
    public IReadOnlyList<FileAction> Files { get; init; } = [];

    /// <summary>The identities found and their liveness.</summary>
    public IReadOnlyList<IdentityStatus> Identities { get; init; } = [];

    /// <summary>Archives written (or that would be written).</summary>
    public IReadOnlyList<string> Archives { get; init; } = [];

    /// <summary>Number of <c>.db</c> files before.</summary>
    public int FilesBefore { get; init; }

    /// <summary>Number of <c>.db</c> files after (predicted in a dry run).</summary>
    public int FilesAfter { get; init; }

    /// <summary>Total size of the <c>.db</c> files before, in bytes.</summary>
    public long BytesBefore { get; init; }

    /// <summary>Total size of the <c>.db</c> files after, in bytes (estimated in a dry run).</summary>
    public long BytesAfter { get; init; }

    /// <summary>
    /// The longest time, measured, between renaming a new archive into place and renaming the last of its folded
    /// files aside: prometheus_client's collector could count those files twice only inside this window.
    /// The Chorus reader never does (it reads the journal).
    /// </summary>
    public TimeSpan PythonDoubleCountWindow { get; init; }

    /// <summary>True when the compactor refused to act.</summary>
    public bool Refused => Refusal is not null;

    /// <summary>Files folded into archives.</summary>
    public int FoldedCount => Files.Count(f => f.Disposition == FileDisposition.Folded);

    /// <summary>Files deleted.</summary>
    public int DeletedCount => Files.Count(f => f.Disposition == FileDisposition.Deleted);

    /// <summary>Dead writers' damaged files renamed out of the <c>*.db</c> names (<see cref="FileDisposition.MovedAside"/>).</summary>
    public int MovedAsideCount => Files.Count(f => f.Disposition == FileDisposition.MovedAside);
}
