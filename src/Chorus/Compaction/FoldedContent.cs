using Chorus.Files;

namespace Chorus.Compaction;

/// <summary>
/// Which folded files' bytes are no longer those the new archive holds. The holder check sees a process that holds a
/// file; one that opened it while no compactor guarded it (a PID reused before the claim, a slot taken after a killed
/// compactor let go of it), wrote and let go again (it died) is only seen here. Without it, the writes made after the
/// fold would be unlinked with the file.
/// </summary>
internal static class FoldedContent
{
    /// <summary>The claimed files of <paramref name="group"/> (paths of its claim names) whose bytes changed since they were folded.</summary>
    public static List<string> ChangedClaims(JournalGroup group, IReadOnlyList<(string Path, FileIdentity Id)> claimed)
    {
        var byClaim = group.Folded.ToDictionary(f => f.Claim, f => f.Bytes, StringComparer.Ordinal);
        return Changed(claimed.Select(c => (c.Path, byClaim.GetValueOrDefault(Path.GetFileName(c.Path)))));
    }

    /// <summary>The paths among <paramref name="files"/> whose bytes differ from what was folded (or cannot be read now).</summary>
    /// <param name="files">Each file's current path (its <c>.db</c> or its claim name) and what its bytes were when folded; those without a record are skipped.</param>
    public static List<string> Changed(IEnumerable<(string Path, FoldedBytes? Folded)> files)
    {
        var changed = new List<string>();
        foreach ((string path, FoldedBytes? folded) in files)
        {
            if (folded is not { } expected)
            {
                continue;
            }

            try
            {
                if (FoldedBytes.Of(DirectorySurvey.ReadUsedBytes(path, out _)) != expected)
                {
                    changed.Add(path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Unreadable (or gone) now: nothing shows it unchanged, so it is not unlinked.
                changed.Add(path);
            }
        }

        return changed;
    }
}
