using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Internal;

/// <summary>What asking the kernel for a read lease gave.</summary>
internal enum LeaseOutcome
{
    /// <summary>Granted: nobody has the file open for writing or mapped writable; release it at once.</summary>
    Held,

    /// <summary>Refused because some process (any PID namespace, this one included) holds the file for writing.</summary>
    WriterPresent,

    /// <summary>Leases cannot be taken here (another owner without CAP_LEASE, a filesystem without leases, not Linux).</summary>
    Unavailable,
}

/// <summary>
/// Kernel read leases (<c>F_SETLEASE</c>, <c>F_RDLCK</c>) on a read-only descriptor. The kernel grants one only while no
/// process has the file open for writing or mapped writable (a writer's mapping keeps its open file alive after it
/// closes its descriptor), and while one is held an <c>open</c> for writing or a <c>truncate</c> waits until it is
/// released. Readers (a scrape, prometheus_client's collector) do not count.
/// </summary>
internal static class ReadLease
{
    private const int FcntlSetSignal = 10;
    private const int FcntlGetSignal = 11;
    private const int FcntlSetLease = 1024;
    private const int LeaseRead = 0;
    private const int LeaseUnlock = 2;

    // A writer's open while the lease is held signals the holder, SIGIO by default, whose default action ends the
    // process (.NET does not handle it). SIGURG is ignored by default and unused by the runtime.
    internal const int SignalUrgent = 23;

    /// <summary>
    /// Asks for a read lease on <paramref name="fd"/> (opened read-only); release it with <see cref="Release(int)"/>. The
    /// lease-break signal is set on every call: releasing a lease resets the open file's signal to SIGIO (the kernel's
    /// <c>lease_modify</c> clears it), so a descriptor kept open and leased again without it was killed by the next
    /// writer's open.
    /// </summary>
    public static LeaseOutcome TryAcquire(int fd)
    {
        if (!OperatingSystem.IsLinux() || Libc.Fcntl(fd, FcntlSetSignal, SignalUrgent) != 0)
        {
            return LeaseOutcome.Unavailable;
        }

        int result;
        do
        {
            result = Libc.Fcntl(fd, FcntlSetLease, LeaseRead);
        }
        while (result != 0 && Marshal.GetLastPInvokeError() == Errno.Interrupted);

        if (result == 0)
        {
            return LeaseOutcome.Held;
        }

        return Marshal.GetLastPInvokeError() == Errno.WouldBlock ? LeaseOutcome.WriterPresent : LeaseOutcome.Unavailable;
    }

    /// <summary>As <see cref="TryAcquire(int)"/> for a handle, which must stay open until <see cref="Release(SafeFileHandle)"/>.</summary>
    public static LeaseOutcome TryAcquire(SafeFileHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return TryAcquire((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The signal a lease break on <paramref name="fd"/>'s open file would send now (0: SIGIO), for tests.</summary>
    internal static int BreakSignal(int fd) => Libc.Fcntl(fd, FcntlGetSignal, 0);

    /// <summary>Gives a held lease back (a writer waiting in <c>open</c> then proceeds).</summary>
    public static void Release(int fd) => _ = Libc.Fcntl(fd, FcntlSetLease, LeaseUnlock);

    /// <summary>As <see cref="Release(int)"/> for a handle.</summary>
    public static void Release(SafeFileHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            Release((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
