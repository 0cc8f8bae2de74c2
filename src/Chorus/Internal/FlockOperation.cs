namespace Chorus.Internal;

/// <summary>The operations of <c>flock(2)</c> (<see cref="Libc.Flock"/>), the same on every Linux architecture.</summary>
internal static class FlockOperation
{
    /// <summary><c>LOCK_SH</c>.</summary>
    public const int Shared = 1;

    /// <summary><c>LOCK_EX</c>.</summary>
    public const int Exclusive = 2;

    /// <summary><c>LOCK_NB</c>: fail with EWOULDBLOCK instead of waiting.</summary>
    public const int NonBlocking = 4;

    /// <summary><c>LOCK_UN</c>.</summary>
    public const int Unlock = 8;
}
