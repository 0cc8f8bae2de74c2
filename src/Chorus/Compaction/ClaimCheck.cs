using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Compaction;

/// <summary>
/// Decides whether files renamed to their claim names are really unowned: the kernel knows no writer (lease probe),
/// or, where leases are unsupported, no visible process holds them (see <see cref="NativeFile.IsOpenForWritingElsewhere"/>).
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

        ProcessTable? table = null;
        var held = new List<string>();
        foreach ((string path, FileIdentity id) in claimed)
        {
            // The lease probe sees every writer in every PID namespace, our own process included, so it decides
            // alone; /proc is the fallback for filesystems without leases.
            bool? open = NativeFile.IsOpenForWritingElsewhere(path);
            if (open == true)
            {
                open = DirectorySurvey.IsPersistentlyOpenForWriting(path);
            }

            if (open is null)
            {
                table ??= ProcessTable.Scan(directory);
                open = table.HoldersOf(id).Count > 0;
            }

            if (open == true)
            {
                held.Add(path);
            }
        }

        return held;
    }
}
