using System.Runtime.InteropServices;
using Chorus.Files;

namespace Chorus.Internal;

/// <summary>
/// The few Linux file calls .NET does not expose: file identity (<c>statx</c>), hard links, directory
/// fsync and the write-lease probe that tells whether any process, in any PID namespace, has a file open.
/// </summary>
internal static partial class NativeFile
{
    private const int AtFdCwd = -100;
    private const int OpenReadOnly = 0;
    private const int OpenNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;

    /// <summary>Device and inode of <paramref name="path"/> (following symlinks, as <c>/proc/pid/fd/N</c> needs), or null when it does not exist.</summary>
    public static FileIdentity? TryGetId(string path, bool followSymlinks = true) =>
        FileStatus.TryStatx(path, followSymlinks, out FileStatus status) ? new FileIdentity(status.Device, status.Inode) : null;

    /// <summary>Creates a hard link; false when <paramref name="newPath"/> already exists or the source is gone.</summary>
    /// <exception cref="IOException">Another failure.</exception>
    public static bool TryLink(string existingPath, string newPath)
    {
        if (Libc.Link(existingPath, newPath) == 0)
        {
            return true;
        }

        int error = Marshal.GetLastPInvokeError();
        if (error is 17 or Errno.NotFound)
        {
            return false;
        }

        throw new IOException($"Cannot link '{existingPath}' to '{newPath}': {Marshal.GetPInvokeErrorMessage(error)} (errno {error}).");
    }

    /// <summary>Renames, replacing any file at <paramref name="newPath"/>; false when the source is gone.</summary>
    /// <exception cref="IOException">Another failure.</exception>
    public static bool TryRename(string oldPath, string newPath)
    {
        if (Libc.RenameAt2(AtFdCwd, oldPath, AtFdCwd, newPath, 0) == 0)
        {
            return true;
        }

        int error = Marshal.GetLastPInvokeError();
        if (error == Errno.NotFound)
        {
            return false;
        }

        throw new IOException($"Cannot rename '{oldPath}' to '{newPath}': {Marshal.GetPInvokeErrorMessage(error)} (errno {error}).");
    }

    /// <summary>Renames without replacing: false when <paramref name="newPath"/> exists or the source is gone.</summary>
    /// <exception cref="IOException">Another failure.</exception>
    public static bool TryRenameNoReplace(string oldPath, string newPath)
    {
        // renameat2(RENAME_NOREPLACE) is atomic; link + unlink would briefly show the file under both names.
        if (Libc.RenameAt2(AtFdCwd, oldPath, AtFdCwd, newPath, 1) == 0)
        {
            return true;
        }

        int error = Marshal.GetLastPInvokeError();
        if (error is 17 or Errno.NotFound)
        {
            return false;
        }

        throw new IOException($"Cannot rename '{oldPath}' to '{newPath}': {Marshal.GetPInvokeErrorMessage(error)} (errno {error}).");
    }

    /// <summary>Makes renames and unlinks inside <paramref name="directory"/> durable.</summary>
    /// <exception cref="IOException">The directory cannot be opened, or the kernel could not make it durable (EIO, ENOSPC).</exception>
    public static void SyncDirectory(string directory)
    {
        int fd = Libc.Open(directory, OpenReadOnly | LinuxOpenFlags.Directory | OpenCloseOnExec, 0);
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            throw new IOException($"Cannot open directory '{directory}' to sync it: {Marshal.GetPInvokeErrorMessage(error)} (errno {error}).");
        }

        try
        {
            int result;
            do
            {
                result = Libc.Fsync(fd);
            }
            while (result < 0 && Marshal.GetLastPInvokeError() == Errno.Interrupted);

            ThrowIfNotSynced(directory, result < 0 ? Marshal.GetLastPInvokeError() : 0);
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    /// <summary>
    /// Throws when a directory's fsync failed with <paramref name="error"/> (0: it did not). EINVAL is a file system that
    /// cannot sync directories at all (procfs, some FUSE mounts): nothing more durable is possible there, so callers go on.
    /// </summary>
    /// <exception cref="IOException">Any other failure: the renames and unlinks before it may not survive a power cut, so a
    /// caller must not remove what would repair them (a compaction's journal).</exception>
    internal static void ThrowIfNotSynced(string directory, int error)
    {
        if (error is not 0 and not Errno.Invalid)
        {
            throw new IOException($"Cannot sync directory '{directory}': {Marshal.GetPInvokeErrorMessage(error)} (errno {error}).");
        }
    }

    /// <summary>
    /// True when some process (in any PID namespace) has <paramref name="path"/> open for writing or mapped writable:
    /// the kernel grants a read lease only while nobody holds the file for writing, so a refused lease means a
    /// writer exists. Readers (an exporter keeping files mapped, prometheus_client's collector) do not count.
    /// The lease is released at once; null when the file is gone or leases cannot be taken here (another owner
    /// without CAP_LEASE, or a filesystem without leases).
    /// </summary>
    public static bool? IsOpenForWritingElsewhere(string path)
    {
        // Never blocks on a FIFO, never probes the target of a symbolic link.
        int fd = Libc.Open(path, OpenReadOnly | OpenNonBlocking | LinuxOpenFlags.NoFollow | OpenCloseOnExec, 0);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            return ReadLease.TryAcquire(fd) switch
            {
                LeaseOutcome.Held => Released(fd),
                LeaseOutcome.WriterPresent => true,
                _ => null,
            };
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    private static bool Released(int fd)
    {
        ReadLease.Release(fd);
        return false;
    }

    /// <summary>The canonical absolute path (symlinks resolved), as <c>/proc/pid/fd</c> links show it; the input when it cannot be resolved.</summary>
    public static string RealPath(string path)
    {
        IntPtr resolved = Libc.RealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return Path.GetFullPath(path);
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved) ?? Path.GetFullPath(path);
        }
        finally
        {
            Marshal.FreeHGlobal(resolved);
        }
    }
}
