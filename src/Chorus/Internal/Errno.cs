namespace Chorus.Internal;

/// <summary>
/// The Linux <c>errno</c> values the native calls react to. They are the generic ones, the same on x86-64 and arm64,
/// so one table serves every supported architecture (unlike <see cref="LinuxOpenFlags"/>).
/// </summary>
internal static class Errno
{
    /// <summary>ENOENT: no such file or directory.</summary>
    public const int NotFound = 2;

    /// <summary>EINTR: a signal interrupted the call; it is retried.</summary>
    public const int Interrupted = 4;

    /// <summary>ENXIO: no such device or address (a FIFO without a writer opened non-blocking).</summary>
    public const int NoDeviceOrAddress = 6;

    /// <summary>EAGAIN / EWOULDBLOCK: the call would block.</summary>
    public const int WouldBlock = 11;

    /// <summary>EACCES: permission denied.</summary>
    public const int AccessDenied = 13;

    /// <summary>ENOTDIR: a path component is not a directory.</summary>
    public const int NotDirectory = 20;

    /// <summary>EINVAL: an invalid argument.</summary>
    public const int Invalid = 22;

    /// <summary>ELOOP: a symbolic link where none is followed.</summary>
    public const int Loop = 40;

    /// <summary>EOPNOTSUPP: the operation is not supported (by this file system).</summary>
    public const int NotSupported = 95;
}
