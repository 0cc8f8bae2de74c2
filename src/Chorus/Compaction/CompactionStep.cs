namespace Chorus.Compaction;

/// <summary>The points of a compaction at which a crash is simulated in tests (see docs/compaction.md for the protocol).</summary>
internal enum CompactionStep
{
    /// <summary>The directory lock is held and any earlier journal recovered.</summary>
    Started,

    /// <summary>A new archive was written under its temporary name and fsynced.</summary>
    TempArchiveWritten,

    /// <summary>The old archive got its backup hard link.</summary>
    BackupLinked,

    /// <summary>The journal is durable; nothing visible has changed yet.</summary>
    JournalWritten,

    /// <summary>The generation was raised after writing the journal.</summary>
    GenerationRaised,

    /// <summary>A new archive was renamed over the old one (Python's double-count window opens).</summary>
    ArchiveRenamed,

    /// <summary>One folded file was renamed to its claim name.</summary>
    FileClaimed,

    /// <summary>Claimed files were checked for openers.</summary>
    ClaimsVerified,

    /// <summary>One claimed file was unlinked.</summary>
    ClaimUnlinked,

    /// <summary>A group is being undone because a claimed file was opened meanwhile.</summary>
    UndoStarted,

    /// <summary>Backups were removed after every group finished.</summary>
    BackupsRemoved,

    /// <summary>The journal was removed.</summary>
    JournalRemoved,

    /// <summary>A dead process's live gauge or expired <c>all</c> gauge to delete was found under its name (not claimed yet).</summary>
    DeleteFound,

    /// <summary>A dead process's live gauge or expired <c>all</c> gauge was claimed for deletion.</summary>
    DeleteClaimed,

    /// <summary>A claimed file was deleted.</summary>
    DeleteUnlinked,

    /// <summary>Recovery of an interrupted compaction advanced one group.</summary>
    RecoveryStep,
}
