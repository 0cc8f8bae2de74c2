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
    private DirectorySurvey(string directory, IReadOnlyList<DbFileStatus> files, IReadOnlyList<KeyValuePair<string, string>> unusable, IReadOnlyDictionary<string, IdentityStatus> identities, bool journalPresent)
    {
        Directory = directory;
        Files = files;
        UnusableFiles = unusable;
        Identities = identities;
        JournalPresent = journalPresent;
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

        var processes = new Lazy<ProcessTable>(() => ProcessTable.Scan(canonical));
        var identities = new Dictionary<string, IdentityStatus>(StringComparer.Ordinal);
        foreach (IGrouping<string, DbFileStatus> group in files.GroupBy(f => f.Name.Identity, StringComparer.Ordinal))
        {
            identities[group.Key] = Judge(canonical, group.Key, group.ToList(), processes);
        }

        bool journal = File.Exists(Path.Combine(canonical, CompactionJournal.FileName));
        return new DirectorySurvey(canonical, files, unusable, identities, journal);
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

    private static IdentityStatus Judge(string directory, string identity, List<DbFileStatus> files, Lazy<ProcessTable> processes)
    {
        if (ArchiveNames.IsArchive(identity))
        {
            return new IdentityStatus(identity, WriterKind.Archive, Liveness.Dead, "archive written by the compactor", []);
        }

        // The lease probe asks the kernel whether anyone, in any PID namespace, has the file open for writing or
        // mapped writable (our own process too); readers such as a scrape do not count. It is cheap, so it comes first.
        var open = new List<(string Path, FileIdentity Id)>();
        bool leasesWork = true;
        foreach (DbFileStatus file in files)
        {
            string path = Path.Combine(directory, file.FileName);
            if (NativeFile.TryGetId(path) is not { } id)
            {
                continue;
            }

            bool? busy = NativeFile.IsOpenForWritingElsewhere(path);
            leasesWork &= busy is not null;
            if (busy == true && IsPersistentlyOpenForWriting(path))
            {
                open.Add((path, id));
            }
        }

        bool numeric = int.TryParse(identity, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0;
        string slotLock = Path.Combine(directory, ArchiveNames.SlotLock(identity));
        if (File.Exists(slotLock))
        {
            if (FileLock.IsHeldExclusively(slotLock))
            {
                return new IdentityStatus(identity, WriterKind.Slot, Liveness.Alive, "slot lock held", []);
            }

            return open.Count == 0 && leasesWork
                ? new IdentityStatus(identity, WriterKind.Slot, Liveness.Dead, "slot lock free", [])
                : Attribute(directory, identity, WriterKind.Slot, open, files, processes, "slot lock free but ");
        }

        WriterKind kind = numeric ? WriterKind.Pid : WriterKind.Other;
        if (open.Count == 0 && leasesWork)
        {
            string reason = !numeric ? "no process has its files open"
                : ProcessTable.Exists(pid) ? $"pid {pid} is running but does not hold its files (PID reused)"
                : $"pid {pid} is not running and no process has its files open";
            return new IdentityStatus(identity, kind, Liveness.Dead, reason, []);
        }

        if (numeric && open.Count > 0)
        {
            // The usual case first: the process named by the file holds it.
            ProcessTable own = ProcessTable.ScanOne(directory, pid);
            if (open.Any(o => own.HoldersOf(o.Id).Count > 0))
            {
                return new IdentityStatus(identity, kind, Liveness.Alive, $"files held open by pid {pid}", [pid]);
            }
        }

        if (numeric && !leasesWork && processes.Value.UnreadablePids.Contains(pid))
        {
            return new IdentityStatus(identity, kind, Liveness.Unknown, $"process {pid} exists but its open files cannot be read from here", []);
        }

        return Attribute(directory, identity, kind, open, files, processes, string.Empty);
    }

    private static IdentityStatus Attribute(string directory, string identity, WriterKind kind, List<(string Path, FileIdentity Id)> open, List<DbFileStatus> files, Lazy<ProcessTable> processes, string prefix)
    {
        // Someone has a file open (or leases are unsupported here): find who among the processes we can see.
        var holders = new List<int>();
        IEnumerable<FileIdentity> ids = open.Count > 0
            ? open.Select(o => o.Id)
            : files.Select(f => NativeFile.TryGetId(Path.Combine(directory, f.FileName))).OfType<FileIdentity>();
        foreach (FileIdentity id in ids)
        {
            holders.AddRange(processes.Value.HoldersOf(id).Where(p => !holders.Contains(p)));
        }

        if (holders.Count > 0)
        {
            return new IdentityStatus(identity, kind, Liveness.Alive, $"{prefix}files held open by pid {string.Join(", ", holders)}", holders);
        }

        if (open.Count > 0)
        {
            return new IdentityStatus(identity, kind, Liveness.Unknown, $"{prefix}'{Path.GetFileName(open[0].Path)}' is open in a process not visible here (another PID namespace?)", []);
        }

        return new IdentityStatus(identity, kind, Liveness.Dead, $"{prefix}no visible process holds its files (this filesystem has no leases to ask the kernel)", []);
    }

    /// <summary>The lease probe, repeated briefly so a process that holds the file for writing only for a moment is not mistaken for a live writer.</summary>
    internal static bool IsPersistentlyOpenForWriting(string path)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (NativeFile.IsOpenForWritingElsewhere(path) != true)
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }
}
