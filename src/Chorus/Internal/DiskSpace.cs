using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Internal;

/// <summary>
/// Reserves disk blocks for a region of a file before it is written through a mapping. Writing to an
/// unreserved page of a sparse file when the disk is full raises SIGBUS, which kills the process; reserving
/// first turns that into an ordinary error code the writer can handle.
/// </summary>
internal static partial class DiskSpace
{
    /// <summary>Test hook: when set, called instead of the system call (returns an errno, 0 for success).</summary>
    internal static Func<string, long, long, int>? FaultInjection { get; set; }

    /// <summary>Reserves <paramref name="length"/> bytes at <paramref name="offset"/>; returns 0 or an errno.</summary>
    public static int TryReserve(SafeFileHandle handle, string path, long offset, long length)
    {
        if (FaultInjection is { } fault)
        {
            int injected = fault(path, offset, length);
            if (injected != 0)
            {
                return injected;
            }
        }

        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int result;
            do
            {
                // A signal (the runtime suspends threads with them) interrupts it; an interrupted reservation is not a full disk.
                result = Libc.PosixFallocate((int)handle.DangerousGetHandle(), offset, length);
            }
            while (result == Errno.Interrupted);

            // Some file systems cannot reserve; they behave as before (sparse), which is what Python does.
            return result is Errno.NotSupported or Errno.Invalid ? 0 : result;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>A readable message for an errno.</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
