namespace Chorus.Compaction;

/// <summary>How the writer behind a set of <c>.db</c> files is identified, which decides how its liveness is known.</summary>
public enum WriterKind
{
    /// <summary>A process ID (prometheus_client's default): alive while a process holds its files open.</summary>
    Pid,

    /// <summary>A Chorus slot: alive exactly while a process holds the slot's lock file (<c>chorus-slot-{n}.lock</c>).</summary>
    Slot,

    /// <summary>Chorus's own archive files, written only by the compactor.</summary>
    Archive,

    /// <summary>Any other identity (for example a uWSGI worker id); judged like <see cref="Pid"/> by who holds the files.</summary>
    Other,
}
