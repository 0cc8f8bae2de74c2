using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Compaction;

/// <summary>
/// Decides whether files renamed to their claim names are really unowned: no visible process holds them and,
/// unless we ourselves have them open, the kernel knows no other opener (see <see cref="NativeFile.IsOpenElsewhere"/>).
/// A process that reused a dead PID and opened the file just before the rename is caught here.
/// </summary>
internal static class ClaimCheck
{
    /// <summary>Returns the claimed paths that some process holds; empty when all are free to unlink.</summary>
    /// <param name="directory">The canonical directory.</param>
    /// <param name="claimed">Claimed paths with the identity each had when claimed.</param>
    /// <param name="settle">How long to wait first, so an open that resolved the old name just before the rename has finished.</param>
    public static IReadOnlyList<string> FindHeld(string directory, IReadOnlyList<(string Path, FileIdentity Id)> claimed, TimeSpan settle)
    {
        if (claimed.Count == 0)
        {
            return [];
        }

        if (settle > TimeSpan.Zero)
        {
            Thread.Sleep(settle);
        }

        ProcessTable table = ProcessTable.Scan(directory);
        var held = new List<string>();
        foreach ((string path, FileIdentity id) in claimed)
        {
            // Any holder counts, our own process included (the compactor has closed what it read).
            if (table.HoldersOf(id).Count > 0 || DirectorySurvey.IsPersistentlyOpenElsewhere(path))
            {
                held.Add(path);
            }
        }

        return held;
    }
}
