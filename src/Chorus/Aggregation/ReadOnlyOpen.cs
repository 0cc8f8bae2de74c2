using System.Runtime.InteropServices;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Opens a file for reading without ever blocking: a FIFO (or device) named like a <c>.db</c> file would
/// block a plain <c>open</c> until a writer appears, hanging the whole scrape. <c>O_NONBLOCK</c> changes
/// nothing for regular files; the caller rejects anything else after <c>fstat</c>.
/// </summary>
internal static partial class ReadOnlyOpen
{
    // Linux values, the same on x86-64 and arm64 (O_DIRECTORY is not: LinuxOpenFlags.Directory).
    private const int OReadOnly = 0;
    private const int ONonBlock = 0x800;
    private const int OCloseOnExec = 0x80000;
    private const int ENoEnt = 2;
    private const int EAccess = 13;
    private const int ENotDir = 20;

    /// <summary>Opens <paramref name="path"/>; throws as <see cref="File.OpenHandle"/> does (FileNotFound, UnauthorizedAccess, IO).</summary>
    public static SafeFileHandle Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }

        int fd = OpenNative(path, OReadOnly | ONonBlock | OCloseOnExec);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        throw Failure(Marshal.GetLastPInvokeError(), path);
    }

    /// <summary>
    /// Opens a directory to open files relative to it (<see cref="OpenAt"/>): the kernel then walks one name per
    /// file instead of the whole path, and no path string is marshalled per file. -1 when not on Linux or on failure.
    /// </summary>
    public static int OpenDirectory(string path)
    {
        return OperatingSystem.IsLinux() ? OpenNative(path, OReadOnly | LinuxOpenFlags.Directory | OCloseOnExec) : -1;
    }

    /// <summary>
    /// Opens a directory to read its entries (Linux only); throws as the framework's enumeration does for a missing
    /// (<see cref="DirectoryNotFoundException"/>) or unreadable directory.
    /// </summary>
    public static int OpenDirectoryOrThrow(string path)
    {
        int fd = OpenNative(path, OReadOnly | LinuxOpenFlags.Directory | OCloseOnExec);
        if (fd >= 0)
        {
            return fd;
        }

        int errno = Marshal.GetLastPInvokeError();
        throw errno == ENoEnt ? new DirectoryNotFoundException(Marshal.GetPInvokeErrorMessage(errno)) : Failure(errno, path);
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
            int fd = OpenAtNative(directoryFd, name, OReadOnly | ONonBlock | OCloseOnExec);
            return fd >= 0 ? fd : throw Failure(Marshal.GetLastPInvokeError(), path);
        }
    }

    /// <summary>Closes a raw descriptor from <see cref="OpenAt"/> or <see cref="OpenDirectory"/> (nothing for -1).</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            // Linux frees the descriptor even when close reports an error, so there is nothing to retry.
            _ = CloseNative(fd);
        }
    }

    private static Exception Failure(int errno, string path)
    {
        string message = Marshal.GetPInvokeErrorMessage(errno);
        return errno switch
        {
            ENoEnt => new FileNotFoundException(message, path),
            ENotDir => new DirectoryNotFoundException(message),
            EAccess => new UnauthorizedAccessException(message),
            _ => new IOException(message, errno),
        };
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static unsafe partial int OpenAtNative(int directoryFd, byte* name, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseNative(int fd);
}
