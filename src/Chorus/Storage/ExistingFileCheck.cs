using System.Globalization;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Storage;

/// <summary>
/// Decides whether a file already at the name this process is about to write can be continued. A damaged
/// file, or one written in the other value layout, is renamed out of the way and reported, never overwritten.
/// </summary>
internal static class ExistingFileCheck
{
    /// <summary>
    /// Leaves a usable (or absent) file in place and returns null; otherwise renames it and returns a
    /// note saying where it went and why.
    /// </summary>
    /// <param name="path">The file this process will write.</param>
    /// <param name="name">The parsed name of <paramref name="path"/>.</param>
    /// <param name="layout">The layout this process writes.</param>
    public static string? MoveAsideIfForeign(string path, DbFileName name, ValueLayout layout)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        if (data.Length == 0)
        {
            return null;
        }

        DbFileScan scan = DbFileScan.Scan(data, data.Length);
        string stamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string? target = null;
        string reason;
        if (scan.Damage.IsDamaged)
        {
            // Not a .db name: no reader merges it, and it stays for a human to look at.
            target = $"{path}.damaged-{stamp}";
            reason = $"the file is damaged ({scan.Damage})";
        }
        else if (scan.Layout is { } found && found != layout)
        {
            // Still a valid file: keep it a .db under another identity so every reader keeps counting it.
            DbFileName aside = name with { Identity = $"{name.Identity}-aside{stamp}" };
            target = Path.Combine(Path.GetDirectoryName(path)!, aside.ToString());
            reason = $"it is in the {(int)found}-byte layout and this process writes the {(int)layout}-byte layout";
        }
        else
        {
            return null;
        }

        File.Move(path, target);
        string sidecar = DbRemovedKeys.PathFor(path);
        if (File.Exists(sidecar) && target.EndsWith(".db", StringComparison.Ordinal))
        {
            File.Move(sidecar, DbRemovedKeys.PathFor(target));
        }

        ChorusEventSource.Log.FileMovedAside(path, target, reason);
        return $"moved '{path}' to '{target}': {reason}";
    }
}
