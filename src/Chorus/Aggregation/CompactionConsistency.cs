using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// The reader's side of the compaction protocol (docs/compaction.md): a directory pass is valid only if the
/// compaction generation did not change during it, and, while a compaction journal is in force, files whose
/// values are already inside an archive the pass read are left out. Otherwise the pass is repeated.
/// </summary>
internal sealed class CompactionConsistency(string directory)
{
    private static readonly HashSet<string> s_empty = [];
    private readonly string _generationPath = Path.Combine(directory, CompactionGeneration.FileName);
    private readonly string _journalPath = Path.Combine(directory, CompactionJournal.FileName);

    /// <summary>How many passes a collection makes before giving up on a consistent view.</summary>
    public const int MaxAttempts = 25;

    /// <summary>The state seen before a pass.</summary>
    /// <param name="Generation">The compaction generation.</param>
    /// <param name="Journal">The journal in force, or null.</param>
    /// <param name="JournalError">Why the journal could not be read, or null.</param>
    public readonly record struct Snapshot(long Generation, CompactionJournal? Journal, string? JournalError);

    /// <summary>Reads the generation, then the journal (in that order: a compactor writes the journal, then raises the generation).</summary>
    public Snapshot Begin()
    {
        long generation = CompactionGeneration.ReadFile(_generationPath);
        try
        {
            return new Snapshot(generation, CompactionJournal.TryReadFile(_journalPath), null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return new Snapshot(generation, null, e.Message);
        }
    }

    /// <summary>
    /// Checks a finished pass. Returns the names of files to leave out of the merge (empty without a journal),
    /// or null when the pass saw a mix of states and must be repeated.
    /// </summary>
    /// <param name="before">What <see cref="Begin"/> returned before the pass.</param>
    /// <param name="filesRead">Each file the pass read, with the identity of the file it actually opened.</param>
    public IReadOnlySet<string>? Check(Snapshot before, IReadOnlyDictionary<string, FileIdentity> filesRead)
    {
        if (CompactionGeneration.ReadFile(_generationPath) != before.Generation)
        {
            return null;
        }

        // A journal is replaced atomically, so an unreadable one was damaged outside Chorus, and the compactor refuses
        // to run while it is there: no counts move. The pass is what prometheus_client's collector shows; the caller
        // reports the journal as a problem.
        if (before.Journal is null)
        {
            return s_empty;
        }

        return before.Journal.TryReconcile(filesRead, out IReadOnlySet<string> excluded) ? excluded : null;
    }

    /// <summary>Waits a little longer after each failed attempt (a compaction step takes microseconds to milliseconds).</summary>
    public static void Pause(int attempt) => Thread.Sleep(Math.Min(attempt, 10));
}
