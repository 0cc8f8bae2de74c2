using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Internal;

/// <summary>
/// <c>pread</c> on the raw descriptor. <see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/> first asks
/// a handle made from a raw descriptor whether it can seek (an <c>lseek</c> per file); a cold pass over 10,000
/// files pays that 10,000 times for nothing, since the caller already knows it is a regular file.
/// </summary>
internal static partial class PositionalRead
{
    /// <summary>Reads up to <paramref name="buffer"/>'s length at <paramref name="offset"/>; 0 at end of file. Throws <see cref="IOException"/>.</summary>
    public static unsafe int Read(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        if (!OperatingSystem.IsLinux())
        {
            return RandomAccess.Read(handle, buffer, offset);
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Read((int)handle.DangerousGetHandle(), buffer, offset);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>As <see cref="Read(SafeFileHandle, Span{byte}, long)"/>, on a raw Linux descriptor.</summary>
    public static unsafe int Read(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* pointer = buffer)
        {
            while (true)
            {
                nint n = Libc.Pread(fd, pointer, buffer.Length, offset);
                if (n >= 0)
                {
                    return (int)n;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.Interrupted)
                {
                    throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
                }
            }
        }
    }

    /// <summary>
    /// Reads <paramref name="count"/> bytes at file offset <paramref name="offset"/> into the same offset of a buffer
    /// from <see cref="ReadBuffers"/>, growing it (and keeping its first <paramref name="offset"/> bytes) when too small. Returns the bytes
    /// read, fewer only at end of file.
    /// </summary>
    public static int ReadInto(SafeFileHandle handle, ref byte[] buffer, int offset, int count) =>
        ReadInto(handle, -1, ref buffer, offset, count);

    /// <summary>As <see cref="ReadInto(SafeFileHandle, ref byte[], int, int)"/>, on a raw Linux descriptor.</summary>
    public static int ReadInto(int fd, ref byte[] buffer, int offset, int count) =>
        ReadInto(null, fd, ref buffer, offset, count);

    private static int ReadInto(SafeFileHandle? handle, int fd, ref byte[] buffer, int offset, int count)
    {
        if (count <= 0)
        {
            return 0;
        }

        if (buffer.Length < offset + count)
        {
            byte[] bigger = ReadBuffers.Rent(offset + count);
            buffer.AsSpan(0, offset).CopyTo(bigger);
            ReadBuffers.Return(buffer);
            buffer = bigger;
        }

        int total = 0;
        while (total < count)
        {
            Span<byte> into = buffer.AsSpan(offset + total, count - total);
            int n = handle is null ? Read(fd, into, offset + total) : Read(handle, into, offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
