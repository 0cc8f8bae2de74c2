using System.Globalization;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Compaction;

/// <summary>
/// What a metrics directory holds and who is alive: every <c>.db</c> file with its layout and damage, and every
/// writer identity with its liveness. Used by the compactor to decide and by <c>chorus doctor</c> to report.
/// </summary>
public sealed class DirectorySurvey
{
    private DirectorySurvey(string directory, IReadOnlyList<DbFileStatus> files, IReadOnlyList<KeyValuePair<string, string>> unusable, IReadOnlyDictionary<string, IdentityStatus> identities, bool journalPresent, ProcessTable processes)
    {
        Directory = directory;
        Files = files;
        UnusableFiles = unusable;
        Identities = identities;
        JournalPresent = journalPresent;
        Processes = processes;
    }

    /// <summary>The directory surveyed (canonical path).</summary>
    public string Directory { get; }

    /// <summary>Every <c>.db</c> file with a usable name, in ordinal name order.</summary>
    public IReadOnlyList<DbFileStatus> Files { get; }

    /// <summary><c>.db</c> files whose names prometheus_client cannot use, with the reason.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> UnusableFiles { get; }

    /// <summary>Every writer identity, by identity string.</summary>
    public IReadOnlyDictionary<string, IdentityStatus> Identities { get; }

    /// <summary>True when an interrupted compaction's journal is present (the next compaction recovers it).</summary>
    public bool JournalPresent { get; }

    /// <summary>True when some writer cannot be seen from here; compaction refuses to act then.</summary>
    public bool WritersInvisible => Identities.Values.Any(i => i.Liveness == Liveness.Unknown);

    internal ProcessTable Processes { get; }

    /// <summary>Surveys <paramref name="directory"/>. Reads every <c>.db</c> file and scans <c>/proc</c> once.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static DirectorySurvey Take(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The metrics directory '{directory}' does not exist.");
        }

        string canonical = NativeFile.RealPath(directory);
        var files = new List<DbFileStatus>();
        var unusable = new List<KeyValuePair<string, string>>();
        foreach (string path in System.IO.Directory.EnumerateFiles(canonical, "*.db").Order(StringComparer.Ordinal))
        {
            string fileName = Path.GetFileName(path);
            if (!DbFileName.TryParse(fileName, out DbFileName name, out string? error))
            {
                unusable.Add(new(fileName, error!));
                continue;
            }

            if (ReadStatus(path, fileName, name) is { } status)
            {
                files.Add(status);
            }
        }

        ProcessTable processes = ProcessTable.Scan(canonical);
        var identities = new Dictionary<string, IdentityStatus>(StringComparer.Ordinal);
        foreach (IGrouping<string, DbFileStatus> group in files.GroupBy(f => f.Name.Identity, StringComparer.Ordinal))
        {
            identities[group.Key] = Judge(canonical, group.Key, group.ToList(), processes);
        }

        bool journal = File.Exists(Path.Combine(canonical, CompactionJournal.FileName));
        return new DirectorySurvey(canonical, files, unusable, identities, journal, processes);
    }

    internal static DbFileStatus? ReadStatus(string path, string fileName, DbFileName name)
    {
        try
        {
            byte[] data = ReadUsedBytes(path, out long length);
            DbFileScan scan = DbFileScan.Scan(data, length);
            return new DbFileStatus(fileName, name, length, scan.Used, scan.Layout, scan.Entries.Count, scan.Damage, File.GetLastWriteTimeUtc(path));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Reads a file up to its header's <c>used</c> (never the sparse tail).</summary>
    internal static byte[] ReadUsedBytes(string path, out long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        length = stream.Length;
        byte[] header = new byte[DbFormat.HeaderSize];
        int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < DbFormat.HeaderSize)
        {
            return header[..got];
        }

        long used = DbFormat.ReadUsed(header);
        long want = Math.Clamp(used, DbFormat.HeaderSize, length);
        byte[] data = new byte[want];
        header.CopyTo(data, 0);
        int read = stream.ReadAtLeast(data.AsSpan(DbFormat.HeaderSize), (int)want - DbFormat.HeaderSize, throwOnEndOfStream: false);
        return data[..(DbFormat.HeaderSize + read)];
    }

    private static IdentityStatus Judge(string directory, string identity, List<DbFileStatus> files, ProcessTable processes)
    {
        if (ArchiveNames.IsArchive(identity))
        {
            return new IdentityStatus(identity, IdentityKind.Archive, Liveness.Dead, "archive written by the compactor", []);
        }

        var holders = new List<int>();
        var ids = new List<(string Path, FileIdentity Id)>();
        foreach (DbFileStatus file in files)
        {
            string path = Path.Combine(directory, file.FileName);
            if (NativeFile.TryGetId(path) is { } id)
            {
                ids.Add((path, id));
                holders.AddRange(processes.HoldersOf(id).Where(p => !holders.Contains(p)));
            }
        }

        // Our own process counts as a holder too: a scrape in this process may have the file open right now,
        // and a process that writes its own files and compacts must never fold them.
        string slotLock = Path.Combine(directory, ArchiveNames.SlotLock(identity));
        if (File.Exists(slotLock))
        {
            if (FileLock.IsHeldExclusively(slotLock))
            {
                return new IdentityStatus(identity, IdentityKind.Slot, Liveness.Alive, "slot lock held", holders);
            }

            return holders.Count > 0
                ? new IdentityStatus(identity, IdentityKind.Slot, Liveness.Alive, $"slot lock free but files held open by pid {string.Join(", ", holders)}", holders)
                : new IdentityStatus(identity, IdentityKind.Slot, Liveness.Dead, "slot lock free", []);
        }

        bool numeric = int.TryParse(identity, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0;
        IdentityKind kind = numeric ? IdentityKind.Pid : IdentityKind.Other;
        if (holders.Count > 0)
        {
            return new IdentityStatus(identity, kind, Liveness.Alive, $"files held open by pid {string.Join(", ", holders)}", holders);
        }

        if (numeric && processes.UnreadablePids.Contains(pid))
        {
            return new IdentityStatus(identity, kind, Liveness.Unknown, $"process {pid} exists but its open files cannot be read from here", []);
        }

        foreach ((string path, FileIdentity _) in ids)
        {
            // The kernel knows every opener, in every PID namespace: a file open elsewhere although no
            // visible process holds it has a writer we cannot see.
            if (IsPersistentlyOpenElsewhere(path))
            {
                return new IdentityStatus(identity, kind, Liveness.Unknown, $"'{Path.GetFileName(path)}' is open in a process not visible here (another PID namespace?)", []);
            }
        }

        string reason = !numeric ? "no process holds its files"
            : ProcessTable.Exists(pid) ? $"pid {pid} is running but does not hold its files (PID reused)"
            : $"pid {pid} is not running and no process holds its files";
        return new IdentityStatus(identity, kind, Liveness.Dead, reason, []);
    }

    /// <summary>The lease probe, repeated briefly so a scrape that has the file open for a moment is not mistaken for a writer.</summary>
    internal static bool IsPersistentlyOpenElsewhere(string path)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (NativeFile.IsOpenElsewhere(path) != true)
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }
}
