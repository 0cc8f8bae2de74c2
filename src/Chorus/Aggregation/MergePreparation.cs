using System.Diagnostics;

namespace Chorus.Aggregation;

/// <summary>
/// Readies the merge once the files are loaded: freezes the files offered (on a consistent pass), lets idle kept files
/// go, and marks every family changed when everything must merge again.
/// </summary>
internal sealed class MergePreparation(
    MultiProcessDirectoryOptions options,
    KeyTable keys,
    FileLoader loader,
    FrozenFiles frozen,
    LiveFiles liveFiles,
    CollectionStageTimes times)
{
    private bool _excludedLastTime;

    /// <summary>Readies the merge of <paramref name="pass"/>; true when every family must merge again.</summary>
    public bool Prepare(CollectionPass pass, IReadOnlySet<string> excluded)
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
            if (options.ProbeAfterCollection)
            {
                frozen.ProbeLater();
            }
            else
            {
                frozen.FreezeOffered(pass.Now);
                liveFiles.Update(frozen);
                at = times.Add(CollectionStage.Freeze, at);
            }
        }

        if (options.KeptFileIdleTimeout != Timeout.InfiniteTimeSpan)
        {
            // Frozen files are not loaded, so the idle timeout (a budget for directories of many changing files) is applied here.
            foreach (FileState file in frozen.Files)
            {
                loader.ReleaseIfIdle(file, pass.Now);
            }
        }

        if (mergeAll)
        {
            foreach (FamilyState family in keys.OrderedFamilies)
            {
                // Excluded files, now or last time, change what the frozen parts hold.
                family.ChangedIn = pass.Generation;
                family.FrozenStale = true;
            }
        }

        times.Add(CollectionStage.PrepareMerge, at);
        return mergeAll;
    }
}
