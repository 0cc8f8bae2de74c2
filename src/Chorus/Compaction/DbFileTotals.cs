namespace Chorus.Compaction;

/// <summary>How many <c>.db</c> files a directory holds after a compaction, and their bytes.</summary>
/// <remarks>
/// Writers keep changing the directory while it is counted: a slot's next owner deletes its predecessor's live-gauge
/// files, and prometheus_client's <c>mark_process_dead</c> does the same. A name listed a moment ago may be gone by the
/// time it is looked at, so each file is looked at once and a vanished one is simply not counted; a compaction that
/// already succeeded must not fail over its own report.
/// </remarks>
internal readonly record struct DbFileTotals(int Files, long Bytes)
{
    /// <summary>Totals the <c>.db</c> files of <paramref name="directory"/> whose names <paramref name="counted"/> accepts.</summary>
    public static DbFileTotals Of(string directory, Func<string, bool> counted) =>
        Of(directory, Directory.EnumerateFiles(directory, "*.db").Select(Path.GetFileName).OfType<string>().Where(counted));

    /// <summary>Totals the named files of <paramref name="directory"/> that still exist.</summary>
    public static DbFileTotals Of(string directory, IEnumerable<string> names)
    {
        int files = 0;
        long bytes = 0;
        foreach (string name in names)
        {
            // One stat: Exists fills the cache that Length then reads, so a file deleted in between is never half-counted.
            var info = new FileInfo(Path.Combine(directory, name));
            if (info.Exists)
            {
                files++;
                bytes += info.Length;
            }
        }

        return new DbFileTotals(files, bytes);
    }
}
