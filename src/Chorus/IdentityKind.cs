namespace Chorus;

/// <summary>How a process names its files in a multiprocess directory.</summary>
public enum IdentityKind
{
    /// <summary>
    /// The lowest free slot number, held by an exclusive lock on <c>chorus-slot-{n}.lock</c> for the life of
    /// the process (the default). Files are <c>counter_{n}.db</c> etc.: a restarted worker continues the
    /// counters of the slot it takes, so the directory stays bounded by the number of live processes.
    /// </summary>
    Slot,

    /// <summary>The process id, as prometheus_client does (<c>counter_{pid}.db</c>); no lock file.</summary>
    Pid,

    /// <summary>
    /// A name you choose (<see cref="ChorusOptions.CustomIdentity"/>), held by an exclusive lock on
    /// <c>chorus-id-{name}.lock</c>; a second live process with the same name is refused.
    /// </summary>
    Custom,
}
