using System.Globalization;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Compaction;

/// <summary>
/// One pass over <c>/proc</c>: which files of a directory each visible process holds open for writing
/// (descriptors whose <c>fdinfo</c> flags allow writes) or mapped writable and shared (<c>/proc/pid/maps</c>).
/// Holding for writing, not the PID in a file name, is what makes a writer alive: a reused PID owned by an
/// unrelated process holds nothing there, and readers (an exporter keeping files mapped) write nothing.
/// </summary>
internal sealed class ProcessTable
{
    private readonly Dictionary<FileIdentity, List<int>> _descriptorHolders;
    private readonly Dictionary<ulong, List<int>> _mappedInodes;

    private ProcessTable(Dictionary<FileIdentity, List<int>> descriptorHolders, Dictionary<ulong, List<int>> mappedInodes, HashSet<int> unreadable, HashSet<int> visible)
    {
        _descriptorHolders = descriptorHolders;
        _mappedInodes = mappedInodes;
        UnreadablePids = unreadable;
        VisiblePids = visible;
    }

    /// <summary>PIDs that exist in our namespace but whose descriptors we may not read.</summary>
    public IReadOnlySet<int> UnreadablePids { get; }

    /// <summary>PIDs whose descriptors were read.</summary>
    public IReadOnlySet<int> VisiblePids { get; }

    /// <summary>Scans every process for files under <paramref name="directory"/> (tens of milliseconds: one readlink per descriptor).</summary>
    /// <param name="directory">The canonical directory (see <see cref="NativeFile.RealPath"/>).</param>
    public static ProcessTable Scan(string directory) => Scan(directory, null);

    /// <summary>Scans one process only; <see cref="UnreadablePids"/> tells whether it could be read.</summary>
    /// <param name="directory">The canonical directory.</param>
    /// <param name="pid">The process.</param>
    public static ProcessTable ScanOne(string directory, int pid) => Scan(directory, pid);

    private static ProcessTable Scan(string directory, int? only)
    {
        string prefix = directory.EndsWith('/') ? directory : directory + "/";
        var holders = new Dictionary<FileIdentity, List<int>>();
        var mapped = new Dictionary<ulong, List<int>>();
        var unreadable = new HashSet<int>();
        var visible = new HashSet<int>();
        IEnumerable<string> entries = only is { } one ? [$"/proc/{one.ToString(CultureInfo.InvariantCulture)}"] : SafeEnumerate("/proc");
        foreach (string entry in entries)
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            if (!TryScanDescriptors(pid, prefix, holders))
            {
                if (Directory.Exists(entry))
                {
                    unreadable.Add(pid);
                }

                continue;
            }

            visible.Add(pid);
            ScanMaps(pid, prefix, mapped);
        }

        return new ProcessTable(holders, mapped, unreadable, visible);
    }

    /// <summary>True when a process with this PID exists in our PID namespace.</summary>
    /// <param name="pid">The PID.</param>
    public static bool Exists(int pid) => Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>The PIDs holding the file open for writing or mapped writable (possibly including our own).</summary>
    public IReadOnlyList<int> HoldersOf(FileIdentity id)
    {
        var result = new List<int>();
        if (_descriptorHolders.TryGetValue(id, out List<int>? byFd))
        {
            result.AddRange(byFd);
        }

        if (_mappedInodes.TryGetValue(id.Inode, out List<int>? byMap))
        {
            result.AddRange(byMap.Where(p => !result.Contains(p)));
        }

        return result;
    }

    private static bool TryScanDescriptors(int pid, string prefix, Dictionary<FileIdentity, List<int>> holders)
    {
        string fdDir = $"/proc/{pid}/fd";
        IEnumerable<string> links;
        try
        {
            links = Directory.EnumerateFileSystemEntries(fdDir).ToList();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }

        foreach (string link in links)
        {
            string? target;
            try
            {
                target = new FileInfo(link).LinkTarget;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                // A descriptor we cannot resolve in a process we could list: it closed meanwhile, or is hidden.
                continue;
            }

            if (target is null || !target.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (IsOpenForWriting(pid, Path.GetFileName(link)) && NativeFile.TryGetId(link) is { } id)
            {
                Add(holders, id, pid);
            }
        }

        return true;
    }

    /// <summary>Whether descriptor <paramref name="fd"/> of <paramref name="pid"/> may write (true when its flags cannot be read).</summary>
    private static bool IsOpenForWriting(int pid, string fd)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/fdinfo/{fd}"))
            {
                // "flags:\t0100002" (octal); the access mode is its low two bits: 0 read-only, 1 write-only, 2 read-write.
                if (line.StartsWith("flags:", StringComparison.Ordinal))
                {
                    string octal = line["flags:".Length..].Trim();
                    return octal.Length == 0 || ((octal[^1] - '0') & 3) != 0;
                }
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // Closed meanwhile or hidden: count it, as before this check existed.
        }

        return true;
    }

    private static void ScanMaps(int pid, string prefix, Dictionary<ulong, List<int>> mapped)
    {
        // A writer may close its descriptor and keep only the shared mapping; the mapping keeps the file written.
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/maps");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return;
        }

        foreach (string line in lines)
        {
            int pathStart = line.IndexOf(prefix, StringComparison.Ordinal);
            if (pathStart < 0)
            {
                continue;
            }

            // address perms offset dev inode path; only a shared writable mapping ("rw-s") can change the file.
            string[] fields = line[..pathStart].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[1].Length == 4 && fields[1][1] == 'w' && fields[1][3] == 's'
                && ulong.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
            {
                if (!mapped.TryGetValue(inode, out List<int>? list))
                {
                    mapped[inode] = list = [];
                }

                if (!list.Contains(pid))
                {
                    list.Add(pid);
                }
            }
        }
    }

    private static void Add(Dictionary<FileIdentity, List<int>> holders, FileIdentity id, int pid)
    {
        if (!holders.TryGetValue(id, out List<int>? list))
        {
            holders[id] = list = [];
        }

        if (!list.Contains(pid))
        {
            list.Add(pid);
        }
    }

    private static List<string> SafeEnumerate(string directory)
    {
        try
        {
            return Directory.EnumerateDirectories(directory).ToList();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return [];
        }
    }
}
