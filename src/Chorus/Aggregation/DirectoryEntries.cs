using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <summary>
/// Reads a directory's entries with <c>getdents64</c>: hundreds of entries per system call (the framework's
/// enumerator makes a call per entry), each with its inode number, which tells whether a name still refers to the
/// file a reader keeps open without a <c>stat</c> per file.
/// </summary>
internal sealed partial class DirectoryEntries : IDisposable
{
    /// <summary>d_type of a directory.</summary>
    public const byte TypeDirectory = 4;

    /// <summary>d_type of a regular file.</summary>
    public const byte TypeRegular = 8;

    /// <summary>d_type of a symbolic link.</summary>
    public const byte TypeSymlink = 10;

    /// <summary>d_type when the filesystem does not say.</summary>
    public const byte TypeUnknown = 0;

    private static bool s_unavailable = !OperatingSystem.IsLinux();

    private readonly int _fd;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 15);
    private int _length;
    private int _offset;

    private DirectoryEntries(int fd)
    {
        _fd = fd;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading its entries; null where <c>getdents64</c> is not available (then the
    /// caller enumerates another way). Throws as the framework's enumeration does for a missing or unreadable directory.
    /// </summary>
    public static DirectoryEntries? TryOpen(string path)
    {
        if (s_unavailable)
        {
            return null;
        }

        var entries = new DirectoryEntries(ReadOnlyOpen.OpenDirectoryOrThrow(path));
        try
        {
            // Probe once, so a C library without getdents64 falls back before any entry is handed out.
            entries.Fill();
            return entries;
        }
        catch (EntryPointNotFoundException)
        {
            s_unavailable = true;
            entries.Dispose();
            return null;
        }
        catch
        {
            entries.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the entry <paramref name="name"/> of <paramref name="directoryPath"/> is a directory: its <c>d_type</c> says
    /// so, or (when the filesystem does not say, or it is a symbolic link) the framework finds one there.
    /// </summary>
    public static bool IsDirectory(string directoryPath, ReadOnlySpan<char> name, byte type) =>
        type == TypeDirectory
        || ((type is TypeUnknown or TypeSymlink) && System.IO.Directory.Exists(Path.Join(directoryPath, name)));

    /// <summary>The next entry (<c>.</c> and <c>..</c> included); false at the end.</summary>
    /// <param name="name">The name's bytes (not NUL-terminated), valid until the next call.</param>
    /// <param name="inode">The entry's inode number.</param>
    /// <param name="type">The entry's <c>d_type</c>.</param>
    public bool MoveNext(out ReadOnlySpan<byte> name, out ulong inode, out byte type)
    {
        if (_offset >= _length)
        {
            Fill();
            if (_length == 0)
            {
                name = default;
                inode = 0;
                type = 0;
                return false;
            }
        }

        // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        ReadOnlySpan<byte> record = _buffer.AsSpan(_offset, _length - _offset);
        int recordLength = BinaryPrimitives.ReadUInt16LittleEndian(record[16..]);
        if (recordLength < 20 || recordLength > record.Length)
        {
            throw new IOException("getdents64 returned a malformed record");
        }

        inode = BinaryPrimitives.ReadUInt64LittleEndian(record);
        type = record[18];
        ReadOnlySpan<byte> nameField = record[19..recordLength];
        int end = nameField.IndexOf((byte)0);
        name = end < 0 ? nameField : nameField[..end];
        _offset += recordLength;
        return true;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ReadOnlyOpen.Close(_fd);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private unsafe void Fill()
    {
        nint read;
        fixed (byte* buffer = _buffer)
        {
            do
            {
                read = Libc.GetDents64(_fd, buffer, _buffer.Length);
            }
            while (read < 0 && Marshal.GetLastPInvokeError() == Errno.Interrupted);
        }

        if (read < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
        }

        _length = (int)read;
        _offset = 0;
    }
}
