using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Internal;

/// <summary>
/// Opens a file for reading without ever blocking: a FIFO (or device) named like a <c>.db</c> file would
/// block a plain <c>open</c> until a writer appears, hanging the whole scrape. <c>O_NONBLOCK</c> changes
/// nothing for regular files; the caller rejects anything else after <c>fstat</c>.
/// </summary>
internal static partial class ReadOnlyOpen
{
    // Linux values, the same on x86-64 and arm64 (O_DIRECTORY and O_NOFOLLOW are not: LinuxOpenFlags).
    private const int OReadOnly = 0;
    private const int ONonBlock = 0x800;
    private const int OCloseOnExec = 0x80000;

    /// <summary>Opens <paramref name="path"/>; throws as <see cref="File.OpenHandle"/> does (FileNotFound, UnauthorizedAccess, IO).</summary>
    /// <param name="path">The file.</param>
    /// <param name="followSymlinks">
    /// False where the caller will rename, unlink or fold the file: a symbolic link named like a <c>.db</c> file then
    /// fails to open (<c>O_NOFOLLOW</c>) instead of leading the compactor to a file outside the directory.
    /// </param>
    public static SafeFileHandle Open(string path, bool followSymlinks = true)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }

        int fd = Libc.Open(path, OReadOnly | ONonBlock | OCloseOnExec | (followSymlinks ? 0 : LinuxOpenFlags.NoFollow), 0);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        throw Failure(Marshal.GetLastPInvokeError(), path, followSymlinks);
    }

    /// <summary>
    /// Opens a directory to open files relative to it (<see cref="OpenAt"/>): the kernel then walks one name per
    /// file instead of the whole path, and no path string is marshalled per file. -1 when not on Linux or on failure.
    /// </summary>
    public static int OpenDirectory(string path)
    {
        return OperatingSystem.IsLinux() ? Libc.Open(path, OReadOnly | LinuxOpenFlags.Directory | OCloseOnExec, 0) : -1;
    }

    /// <summary>
    /// Opens a directory to read its entries (Linux only); throws as the framework's enumeration does for a missing
    /// (<see cref="DirectoryNotFoundException"/>) or unreadable directory.
    /// </summary>
    public static int OpenDirectoryOrThrow(string path)
    {
        int fd = Libc.Open(path, OReadOnly | LinuxOpenFlags.Directory | OCloseOnExec, 0);
        if (fd >= 0)
        {
            return fd;
        }

        int errno = Marshal.GetLastPInvokeError();
        throw errno == Errno.NotFound ? new DirectoryNotFoundException(Marshal.GetPInvokeErrorMessage(errno)) : Failure(errno, path);
    }

    /// <summary>
    /// Opens the file named by the NUL-terminated UTF-8 <paramref name="nameZ"/> in the directory
    /// <paramref name="directoryFd"/>, as <see cref="Open"/> does; returns the raw descriptor, which the caller
    /// closes with <see cref="Close"/>. Throws as <see cref="Open"/> does, naming <paramref name="path"/>.
    /// </summary>
    public static unsafe int OpenAt(int directoryFd, ReadOnlySpan<byte> nameZ, string path)
    {
        fixed (byte* name = nameZ)
        {
            int fd = Libc.OpenAt(directoryFd, name, OReadOnly | ONonBlock | OCloseOnExec);
            return fd >= 0 ? fd : throw Failure(Marshal.GetLastPInvokeError(), path);
        }
    }

    /// <summary>Closes a raw descriptor from <see cref="OpenAt"/> or <see cref="OpenDirectory"/> (nothing for -1).</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            // Linux frees the descriptor even when close reports an error, so there is nothing to retry.
            _ = Libc.Close(fd);
        }
    }

    private static Exception Failure(int errno, string path, bool followSymlinks = true)
    {
        string message = Marshal.GetPInvokeErrorMessage(errno);
        return errno switch
        {
            Errno.NotFound => new FileNotFoundException(message, path),
            Errno.NotDirectory => new DirectoryNotFoundException(message),
            Errno.AccessDenied => new UnauthorizedAccessException(message),
            Errno.Loop => new IOException(followSymlinks ? $"a loop of symbolic links ({message})" : $"a symbolic link, not followed here ({message})", errno),
            Errno.NoDeviceOrAddress => new IOException($"a socket or a device without a driver ({message})", errno),
            _ => new IOException(message, errno),
        };
    }
}
