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
    private DirectorySurvey(string directory, IReadOnlyList<DbFileStatus> files, IReadOnlyList<KeyValuePair<string, string>> unusable, IReadOnlyDictionary<string, IdentityStatus> identities, bool journalPresent, string? journalError)
    {
        Directory = directory;
        Files = files;
        UnusableFiles = unusable;
        Identities = identities;
        JournalPresent = journalPresent;
        JournalError = journalError;
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

    /// <summary>
    /// Why the journal present cannot be read (damaged outside Chorus: it is written atomically), or null. Compaction
    /// refuses to run while it is unreadable; readers keep serving.
    /// </summary>
    public string? JournalError { get; }

    /// <summary>True when some writer cannot be seen from here; compaction refuses to act then.</summary>
    public bool WritersInvisible => Identities.Values.Any(i => i.Liveness == Liveness.Unknown);

    /// <summary>How long a process that has a dead writer's PID is taken for a writer about to open its files.</summary>
    public static readonly TimeSpan DefaultReusedPidGrace = TimeSpan.FromSeconds(60);

    /// <summary>Surveys <paramref name="directory"/>. Reads every <c>.db</c> file and scans <c>/proc</c> once.</summary>
    /// <param name="directory">The multiprocess directory.</param>
    /// <param name="reusedPidGrace">
    /// A process running under a PID that names files it does not hold counts as alive while it is younger than this
    /// (null: <see cref="DefaultReusedPidGrace"/>): it may be a new worker of the same application about to open them.
    /// </param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static DirectorySurvey Take(string directory, TimeSpan? reusedPidGrace = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The metrics directory '{directory}' does not exist.");
        }

        string canonical = NativeFile.RealPath(directory);
        var files = new List<DbFileStatus>();
        var unusable = new List<KeyValuePair<string, string>>();
        // Every entry named *.db, directories included, so that each one the compactor leaves alone is reported.
        foreach (string path in System.IO.Directory.EnumerateFileSystemEntries(canonical, "*.db").Order(StringComparer.Ordinal))
        {
            string fileName = Path.GetFileName(path);
            if (!DbFileName.TryParse(fileName, out DbFileName name, out string? error))
            {
                unusable.Add(new(fileName, error!));
                continue;
            }

            if (ReadStatus(path, fileName, name, out string? problem) is { } status)
            {
                files.Add(status);
            }
            else if (problem is not null)
            {
                unusable.Add(new(fileName, problem));
            }
        }

        var processes = new Lazy<ProcessTable>(() => ProcessTable.Scan(canonical));
        var identities = new Dictionary<string, IdentityStatus>(StringComparer.Ordinal);
        foreach (IGrouping<string, DbFileStatus> group in files.GroupBy(f => f.Name.Identity, StringComparer.Ordinal))
        {
            identities[group.Key] = Judge(canonical, group.Key, group.ToList(), processes, reusedPidGrace ?? DefaultReusedPidGrace);
        }

        bool journal = File.Exists(Path.Combine(canonical, CompactionJournal.FileName));
        string? journalError = null;
        if (journal)
        {
            try
            {
                _ = CompactionJournal.TryRead(canonical);
            }
            catch (InvalidDataException e)
            {
                journalError = e.Message;
            }
        }

        return new DirectorySurvey(canonical, files, unusable, identities, journal, journalError);
    }

    /// <summary>
    /// Reads a file's status; null when it vanished (<paramref name="problem"/> null) or cannot be used: not a regular
    /// file, a symbolic link (never followed by the compactor), unreadable (<paramref name="problem"/> says which).
    /// </summary>
    internal static DbFileStatus? ReadStatus(string path, string fileName, DbFileName name, out string? problem)
    {
        problem = null;
        try
        {
            byte[] data = ReadUsedBytes(path, out FileStatus status);
            DbFileScan scan = DbFileScan.Scan(data, status.Length);
            return new DbFileStatus(fileName, name, status.Length, scan.Used, scan.Layout, scan.Entries.Count, scan.Damage, status.Modified);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = "left alone: " + (e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message);
            return null;
        }
    }

    /// <summary>Reads a file up to its header's <c>used</c> (never the sparse tail) through the one safe open, not following symbolic links.</summary>
    internal static byte[] ReadUsedBytes(string path, out FileStatus status) => RegularFile.ReadUsed(path, followSymlinks: false, out status);

    private static IdentityStatus Judge(string directory, string identity, List<DbFileStatus> files, Lazy<ProcessTable> processes, TimeSpan reusedPidGrace)
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
        if (open.Count == 0 && numeric && ProcessTable.Age(pid) is { } age && age < reusedPidGrace)
        {
            // A new worker that got a dead writer's PID opens that writer's files (same names) at its first
            // request. Folding them meanwhile races its open: an open that looked the name up before the claim
            // rename and completed after the claim check would write into an unlinked file.
            return new IdentityStatus(identity, kind, Liveness.Alive, $"pid {pid} started {age.TotalSeconds:F0} s ago and may be about to open its files (a reused PID); left for a later run", [pid]);
        }

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
