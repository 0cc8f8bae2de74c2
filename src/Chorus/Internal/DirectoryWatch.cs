using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Internal;

/// <summary>Receives what a <see cref="DirectoryWatch"/> read.</summary>
internal interface IDirectoryEventSink
{
    /// <summary>
    /// Something happened to the entry <paramref name="name"/>: opened (for reading or writing: inotify does not say),
    /// modified, closed after writing, or, when <paramref name="nameChanged"/>, created, deleted, renamed or its
    /// attributes or link count changed. <paramref name="writerClosed"/>: a descriptor open for writing was closed
    /// (a writer let go of the file, or exited).
    /// </summary>
    void OnEntry(ReadOnlySpan<byte> name, bool nameChanged, bool writerClosed);

    /// <summary>Events were lost (queue overflow) or the watch ended (directory deleted, moved or unmounted).</summary>
    void OnLost();
}

/// <summary>
/// An inotify watch on one directory, read without blocking. Every process that writes a file must first open it
/// (a write through a mapping raises no event, but the mapping needs an open descriptor), so an open, a creation, a
/// rename, a deletion, a truncation by path or a link-count change of any entry is queued here before the call that
/// caused it returns, whichever process made it.
/// </summary>
internal sealed class DirectoryWatch : IDisposable
{
    private const int NonBlocking = 0x800;
    private const int CloseOnExec = 0x80000;
    private const uint Modify = 0x2;
    private const uint Attributes = 0x4;
    private const uint CloseWrite = 0x8;
    private const uint Opened = 0x20;
    private const uint MovedFrom = 0x40;
    private const uint MovedTo = 0x80;
    private const uint Created = 0x100;
    private const uint Deleted = 0x200;
    private const uint DeletedSelf = 0x400;
    private const uint MovedSelf = 0x800;
    private const uint Unmounted = 0x2000;
    private const uint Overflow = 0x4000;
    private const uint Ignored = 0x8000;
    private const uint OnlyDirectory = 0x01000000;
    private const uint NameChanges = MovedFrom | MovedTo | Created | Deleted | Attributes;
    private const uint Watched = Modify | Attributes | CloseWrite | Opened | MovedFrom | MovedTo | Created | Deleted | DeletedSelf | MovedSelf | OnlyDirectory;
    private const uint Ends = DeletedSelf | MovedSelf | Unmounted | Ignored;
    private const int EventHeader = 16;

    private readonly SafeFileHandle _fd;
    private readonly byte[] _buffer = new byte[1 << 16];

    private DirectoryWatch(SafeFileHandle fd, ulong device, ulong inode)
    {
        _fd = fd;
        Device = device;
        Inode = inode;
    }

    /// <summary>The watched directory's device (as <c>stat</c> gave it when the watch was added).</summary>
    public ulong Device { get; }

    /// <summary>The watched directory's inode.</summary>
    public ulong Inode { get; }

    /// <summary>True once the watch ended or its descriptor failed: nothing more will be reported.</summary>
    public bool Ended { get; private set; }

    /// <summary>Watches <paramref name="directory"/>; null where inotify is unavailable (not Linux, instance or watch limits).</summary>
    public static DirectoryWatch? TryCreate(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        int fd;
        try
        {
            fd = Libc.InotifyInit1(NonBlocking | CloseOnExec);
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }

        if (fd < 0)
        {
            return null;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Libc.InotifyAddWatch(fd, directory, Watched) < 0 || !FileStatus.TryRead(directory, out FileStatus status))
        {
            handle.Dispose();
            return null;
        }

        return new DirectoryWatch(handle, status.Device, status.Inode);
    }

    /// <summary>Reads every queued event into <paramref name="sink"/>, without blocking.</summary>
    public unsafe void Drain(IDirectoryEventSink sink)
    {
        while (!Ended)
        {
            nint read;
            bool added = false;
            try
            {
                _fd.DangerousAddRef(ref added);
                fixed (byte* buffer = _buffer)
                {
                    do
                    {
                        read = Libc.Read((int)_fd.DangerousGetHandle(), buffer, _buffer.Length);
                    }
                    while (read < 0 && Marshal.GetLastPInvokeError() == Errno.Interrupted);
                }
            }
            finally
            {
                if (added)
                {
                    _fd.DangerousRelease();
                }
            }

            if (read < 0 && Marshal.GetLastPInvokeError() == Errno.WouldBlock)
            {
                return;
            }

            if (read <= 0)
            {
                End(sink);
                return;
            }

            Dispatch(_buffer.AsSpan(0, (int)read), sink);
        }
    }

    public void Dispose() => _fd.Dispose();

    private void Dispatch(ReadOnlySpan<byte> events, IDirectoryEventSink sink)
    {
        // struct inotify_event { int wd; u32 mask; u32 cookie; u32 len; char name[len]; } (name NUL-padded)
        while (events.Length >= EventHeader && !Ended)
        {
            uint mask = BinaryPrimitives.ReadUInt32LittleEndian(events[4..]);
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(events[12..]);
            if (length < 0 || EventHeader + length > events.Length)
            {
                End(sink);
                return;
            }

            ReadOnlySpan<byte> name = events.Slice(EventHeader, length);
            int end = name.IndexOf((byte)0);
            name = end < 0 ? name : name[..end];
            events = events[(EventHeader + length)..];
            if ((mask & Overflow) != 0)
            {
                // The queue was full: events were lost, the watch goes on.
                sink.OnLost();
                continue;
            }

            if ((mask & Ends) != 0)
            {
                End(sink);
                return;
            }

            if (!name.IsEmpty)
            {
                sink.OnEntry(name, (mask & NameChanges) != 0, (mask & CloseWrite) != 0);
            }
        }
    }

    private void End(IDirectoryEventSink sink)
    {
        Ended = true;
        sink.OnLost();
    }
}
