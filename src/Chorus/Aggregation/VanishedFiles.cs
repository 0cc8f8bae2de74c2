namespace Chorus.Aggregation;

/// <summary>
/// The last stage of a collection, after the merge: forgets the files that vanished and sweeps the series of files gone.
/// </summary>
internal sealed class VanishedFiles(
    Dictionary<string, FileState> files,
    List<FileState> ordered,
    DirectoryListing listing,
    LiveFiles liveFiles,
    FileLoader loader,
    KeyTable keys)
{
    /// <summary>Forgets what <paramref name="pass"/> found gone.</summary>
    public void Forget(CollectionPass pass)
    {
        List<FileState>? vanished = pass.Vanished;
        if (vanished is not null)
        {
            listing.Distrust();
            liveFiles.Stale = true;
            foreach (FileState file in vanished)
            {
                loader.Release(file);
                files.Remove(file.FileName);
                ordered.Remove(file);
            }
        }

        // Series of files that went away (dead workers' live gauges, pid-labelled series) would otherwise
        // pile up with worker churn; sweeping when the file set shrank keeps memory bounded by live series.
        if (listing.FilesRemoved || vanished is not null || pass.Generation % 64 == 0)
        {
            keys.Prune(pass.Generation);
            listing.FilesRemoved = false;
        }
    }
}
