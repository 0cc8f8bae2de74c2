using System.Runtime.InteropServices;

namespace Chorus.Internal;

/// <summary>
/// A BSD <c>flock(2)</c> advisory lock on its own file descriptor, opened with <c>O_CLOEXEC</c> so child
/// processes never inherit it. <see cref="Dispose"/> unlocks it, and the kernel drops it when the process dies,
/// however it dies, which is what makes it an exact liveness signal.
/// </summary>
/// <remarks>
/// Not <see cref="FileStream.Lock"/> (a POSIX record lock that flock cannot see and that closing any other
/// handle on the file drops) and not <see cref="FileShare.None"/> (which an environment variable can switch
/// off and which locks .NET readers out of the file): see reference/dotnet-measurements.md §3.
/// There is deliberately no finalizer: a lease that the GC collected early would free a slot that the
/// process is still writing. Owners keep the object referenced and dispose it to release.
/// </remarks>
internal sealed partial class FileLock : IDisposable
{
    private const int OpenReadOnly = 0;
    private const int ModeRwRR = 0x1A4; // 0644

    private int _fd;

    private FileLock(string path, int fd, bool exclusive)
    {
        Path = path;
        _fd = fd;
        IsExclusive = exclusive;
    }

    /// <summary>The lock file's path.</summary>
    public string Path { get; }

    /// <summary>The descriptor the lock is on (tests), or -1 once released.</summary>
    internal int Descriptor => Volatile.Read(ref _fd);

    /// <summary>True for an exclusive lock, false for a shared one.</summary>
    public bool IsExclusive { get; }

    /// <summary>
    /// Creates <paramref name="path"/> if needed and takes an exclusive lock without waiting.
    /// Returns null when another open file description holds a lock on it.
    /// </summary>
    /// <exception cref="IOException">The file cannot be opened or locked for another reason.</exception>
    public static FileLock? TryAcquireExclusive(string path) => TryAcquire(path, exclusive: true, create: true);

    /// <summary>
    /// Takes a shared lock on an existing file without waiting. Returns null when the file is exclusively
    /// locked or does not exist. Several shared holders never block one another.
    /// </summary>
    /// <exception cref="IOException">The file cannot be opened or locked for another reason.</exception>
    public static FileLock? TryAcquireShared(string path) => TryAcquire(path, exclusive: false, create: false);

    /// <summary>
    /// Asks whether some process holds an exclusive lock on <paramref name="path"/> (a live owner), using a
    /// shared probe so that concurrent probes do not disturb each other. A missing file counts as not held.
    /// </summary>
    /// <exception cref="IOException">The file exists but cannot be opened or probed.</exception>
    public static bool IsHeldExclusively(string path)
    {
        using FileLock? probe = TryAcquire(path, exclusive: false, create: false, missingIsFree: true, out bool held);
        return held;
    }

    /// <summary>Releases the lock, then closes its descriptor. Safe to call twice.</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            // Closing alone would leave the lock on the open file description while a process forked by another
            // thread still holds a copy of the descriptor (until it execs): the slot would look taken a moment longer.
            _ = Libc.Flock(fd, FlockOperation.Unlock);
            _ = Libc.Close(fd);
        }
    }

    private static FileLock? TryAcquire(string path, bool exclusive, bool create) =>
        TryAcquire(path, exclusive, create, missingIsFree: false, out _);

    private static FileLock? TryAcquire(string path, bool exclusive, bool create, bool missingIsFree, out bool heldByOther)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureSupported();
        heldByOther = false;
        int flags = (create ? LinuxOpenFlags.ReadWrite | LinuxOpenFlags.Create : OpenReadOnly) | LinuxOpenFlags.CloseOnExec;
        int fd;
        do
        {
            fd = Libc.Open(path, flags, ModeRwRR);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == Errno.Interrupted);

        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            if (error == Errno.NotFound && (missingIsFree || !create))
            {
                return null;
            }

            throw new IOException($"Cannot open lock file '{path}': {Marshal.GetPInvokeErrorMessage(error)} (errno {error}).");
        }

        int operation = (exclusive ? FlockOperation.Exclusive : FlockOperation.Shared) | FlockOperation.NonBlocking;
        int result;
        do
        {
            result = Libc.Flock(fd, operation);
        }
        while (result != 0 && Marshal.GetLastPInvokeError() == Errno.Interrupted);

        if (result == 0)
        {
            return new FileLock(path, fd, exclusive);
        }

        int lockError = Marshal.GetLastPInvokeError();
        _ = Libc.Close(fd);
        if (lockError == Errno.WouldBlock)
        {
            heldByOther = true;
            return null;
        }

        throw new IOException($"Cannot lock '{path}': {Marshal.GetPInvokeErrorMessage(lockError)} (errno {lockError}).");
    }

    private static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Chorus's lock files use Linux flock(2) and open(2) flags; this platform is not supported yet.");
        }
    }
}
