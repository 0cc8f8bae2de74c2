using System.Diagnostics;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// The first stages of a collection: lists the directory (<see cref="DirectoryListing"/>, <see cref="LiveFiles"/>) and
/// refreshes its files (<see cref="FileRefresh"/>) until one consistent view, since a compaction may move counts between
/// files meanwhile (<see cref="CompactionConsistency"/>); says which files to leave out.
/// </summary>
internal sealed class ConsistentLoad(
    CompactionConsistency consistency,
    DirectoryListing listing,
    LiveFiles liveFiles,
    FrozenFiles frozen,
    FileRefresh refresh,
    CollectionStageTimes times,
    Action releaseAllKept)
{
    // Reused by every collection so a warm collection does not allocate one entry per file.
    private readonly Dictionary<string, FileIdentity> _identities = new(StringComparer.Ordinal);
    private int _generation;

    /// <summary>
    /// Changes whenever file ranks (<see cref="FileState.Rank"/>) are numbered again: the listing's, as the last load
    /// left it (the listing made after a response may number them again before the next collection).
    /// </summary>
    public int RankNumbering { get; private set; }

    /// <summary>
    /// Lists and loads the files until one consistent view and returns the files to leave out;
    /// <paramref name="structureChanged"/> when files were read in full, added or gone.
    /// </summary>
    public IReadOnlySet<string> Load(CollectionPass pass, out bool structureChanged)
    {
        Dictionary<string, FileIdentity> identities = _identities;
        structureChanged = false;
        for (int attempt = 1; ; attempt++)
        {
            CompactionConsistency.Snapshot before = consistency.Begin();
            pass.Begin(++_generation);
            long at = Stopwatch.GetTimestamp();
            pass.DirectoryError = listing.List(pass);
            at = times.Add(CollectionStage.Listing, at);
            RankNumbering = listing.RankNumbering;
            structureChanged |= liveFiles.Update(frozen);
            times.Add(CollectionStage.LiveList, at);
            identities.Clear();

            // Which file each name was is needed only to reconcile with a journal, or to leave everything out.
            refresh.LoadAll(pass, listing.DirectoriesNamedDb, before.Journal is not null || attempt == CompactionConsistency.MaxAttempts ? identities : null);
            structureChanged |= pass.FullReads > 0 || pass.Vanished is not null;
            if (consistency.Check(before, identities) is { } excluded)
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
                releaseAllKept();
            }

            CompactionConsistency.Pause(attempt);
        }
    }
}
