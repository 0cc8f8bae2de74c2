namespace Chorus.Compaction;

/// <summary>Whether a writer identity may still write its files.</summary>
public enum Liveness
{
    /// <summary>A process holds the identity (its slot lock, or its files open): its files are never touched.</summary>
    Alive,

    /// <summary>Nothing holds the identity: its files may be folded or deleted.</summary>
    Dead,

    /// <summary>The writers cannot be seen from here (another PID namespace, unreadable processes): compaction refuses to act.</summary>
    Unknown,
}
