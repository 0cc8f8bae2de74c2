namespace Chorus.Aggregation;

/// <summary>What one collection did: for self-metrics, logs and the CLI.</summary>
public sealed class CollectionReport
{
    internal CollectionReport(int filesListed, int filesRead, long bytesRead, int entriesParsed, int entriesMerged, int families, TimeSpan duration, IReadOnlyList<FileProblem> problems, string? directoryError, int filesKeptOpen = 0)
    {
        FilesKeptOpen = filesKeptOpen;
        FilesListed = filesListed;
        FilesRead = filesRead;
        BytesRead = bytesRead;
        EntriesParsed = entriesParsed;
        EntriesMerged = entriesMerged;
        Families = families;
        Duration = duration;
        Problems = problems;
        DirectoryError = directoryError;
    }

    /// <summary>An empty report, before any collection.</summary>
    public static CollectionReport None { get; } = new(0, 0, 0, 0, 0, 0, TimeSpan.Zero, [], null);

    /// <summary><c>*.db</c> files listed in the directory.</summary>
    public int FilesListed { get; }

    /// <summary>Files whose entries were used (damaged files included).</summary>
    public int FilesRead { get; }

    /// <summary>Files kept open and mapped after this collection (read without syscalls by the next one).</summary>
    public int FilesKeptOpen { get; }

    /// <summary>Bytes read from files with read calls (mapped files are not counted).</summary>
    public long BytesRead { get; }

    /// <summary>Entries whose keys were parsed by this collection (new entries; 0 when nothing changed).</summary>
    public int EntriesParsed { get; }

    /// <summary>Entries whose values were merged.</summary>
    public int EntriesMerged { get; }

    /// <summary>Families in the output.</summary>
    public int Families { get; }

    /// <summary>Wall time of the collection (without writing the exposition).</summary>
    public TimeSpan Duration { get; }

    /// <summary>Files skipped or partly read, in file-name order.</summary>
    public IReadOnlyList<FileProblem> Problems { get; }

    /// <summary>Set when the directory itself could not be listed (the output is then empty).</summary>
    public string? DirectoryError { get; }

    /// <summary>Number of problems of <paramref name="kind"/>.</summary>
    /// <param name="kind">The kind to count.</param>
    public int Count(FileProblemKind kind)
    {
        int n = 0;
        foreach (FileProblem problem in Problems)
        {
            if (problem.Kind == kind)
            {
                n++;
            }
        }

        return n;
    }
}
