using Chorus.Files;

namespace Chorus.Compaction;

/// <summary>
/// Names of the files compaction owns. Archives are ordinary <c>.db</c> files whose identity is
/// <c>archive8</c> or <c>archive16</c> (one per value layout, never mixed), so prometheus_client's
/// collector reads them like any process's file: <c>counter_archive8.db</c>, <c>gauge_max_archive16.db</c>.
/// Working names never end in <c>.db</c>, so no reader lists them.
/// </summary>
internal static class ArchiveNames
{
    /// <summary>The directory lock that admits one compactor at a time.</summary>
    public const string CompactorLock = "chorus-compact.lock";

    /// <summary>Suffix of a new archive while it is written.</summary>
    public const string TempSuffix = ".chorus-new";

    /// <summary>Suffix of a hard link to the previous archive, kept until the compaction completes (for undo).</summary>
    public const string BackupSuffix = ".chorus-prev";

    /// <summary>Suffix a dead file is renamed to before it is unlinked, so a new process reusing its PID creates a fresh file.</summary>
    public const string ClaimSuffix = ".chorus-claimed";

    /// <summary>The archive identity for a value layout.</summary>
    public static string Identity(ValueLayout layout) => layout == ValueLayout.Value8 ? "archive8" : "archive16";

    /// <summary>True for the identities of archive files.</summary>
    public static bool IsArchive(string identity) => identity is "archive8" or "archive16";

    /// <summary>The lock file of Chorus slot <paramref name="identity"/>.</summary>
    public static string SlotLock(string identity) => $"chorus-slot-{identity}.lock";

    /// <summary>
    /// A fresh name for a folded file that cannot go back under its own (a new file took it while its group was being
    /// undone): the same type and gauge mode, identity <c>{identity}-restored-{unixms}</c> plus <c>-{attempt}</c> after
    /// the first. No writer ever holds that identity, so readers count the file and the next compaction folds it.
    /// </summary>
    public static string Restored(DbFileName name, long unixMilliseconds, int attempt) =>
        (name with { Identity = $"{name.Identity}-restored-{unixMilliseconds}" + (attempt == 0 ? string.Empty : $"-{attempt}") }).ToString();

    /// <summary>The archive file name for files of this type, gauge mode and layout.</summary>
    public static string ArchiveFor(DbFileName name, ValueLayout layout) => (name with { Identity = Identity(layout) }).ToString();
}
