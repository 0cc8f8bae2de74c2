using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Opens a file for reading without ever blocking: a FIFO (or device) named like a <c>.db</c> file would
/// block a plain <c>open</c> until a writer appears, hanging the whole scrape. <c>O_NONBLOCK</c> changes
/// nothing for regular files; the caller rejects anything else after <c>fstat</c>.
/// </summary>
internal static partial class ReadOnlyOpen
{
    // Linux values, the same on x86-64 and arm64.
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

        int errno = Marshal.GetLastPInvokeError();
        string message = Marshal.GetPInvokeErrorMessage(errno);
        throw errno switch
        {
            ENoEnt => new FileNotFoundException(message, path),
            ENotDir => new DirectoryNotFoundException(message),
            EAccess => new UnauthorizedAccessException(message),
            _ => new IOException(message, errno),
        };
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags);
}
