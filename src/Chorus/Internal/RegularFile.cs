using Chorus.Files;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Internal;

/// <summary>
/// The one way every command (<c>inspect</c>, <c>doctor</c>, <c>compact</c>, its dry run) and the compactor open a
/// <c>.db</c> file or a small state file by path: without blocking (<c>O_NONBLOCK</c>: a FIFO named <c>*.db</c> would
/// hang a plain open), regular files only (<c>fstat</c>), optionally without following a symbolic link
/// (<c>O_NOFOLLOW</c>, where the caller renames or folds the file), and reads bounded by the header's <c>used</c> and
/// by the size the file had when opened, so a huge, growing or shrinking file can neither exhaust memory nor hang a read.
/// </summary>
/// <remarks>Failures are exceptions whose message names the file and says what it is.</remarks>
internal static class RegularFile
{
    /// <summary>Opens a regular file for reading.</summary>
    /// <param name="path">The file.</param>
    /// <param name="followSymlinks">False to refuse a symbolic link (see <see cref="ReadOnlyOpen.Open"/>).</param>
    /// <param name="status">The file's status at open (length -1 where <c>fstat</c> is not available).</param>
    /// <exception cref="FileNotFoundException">The file is gone.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="IOException">Not a regular file, a refused symbolic link, or another failure; the message names the file.</exception>
    public static SafeFileHandle Open(string path, bool followSymlinks, out FileStatus status)
    {
        SafeFileHandle handle;
        try
        {
            handle = ReadOnlyOpen.Open(path, followSymlinks);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new IOException($"{path}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"{path}: {e.Message}", e);
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (!FileStatus.TryRead((int)handle.DangerousGetHandle(), out status))
            {
                status = new FileStatus(0, 0, RandomAccess.GetLength(handle), -1, 0x8000, File.GetLastWriteTimeUtc(path), 0, 0);
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        if (!status.IsRegular)
        {
            handle.Dispose();
            throw new IOException($"{path}: {status.TypeName}, not a regular file");
        }

        return handle;
    }

    /// <summary>
    /// Reads a <c>.db</c> file up to its header's <c>used</c> (never the sparse tail), at most the length the file had
    /// when opened and at most <see cref="DbFormat.MaxFileSize"/>: a file that shrinks meanwhile yields the bytes still
    /// there (the scan reports the rest as damage), one that grows is read as it was.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file is gone.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="IOException">Not a regular file, or it cannot be read; the message names the file.</exception>
    public static byte[] ReadUsed(string path, bool followSymlinks, out FileStatus status)
    {
        using SafeFileHandle handle = Open(path, followSymlinks, out status);
        Span<byte> header = stackalloc byte[DbFormat.HeaderSize];
        int got = ReadFully(handle, path, header, 0);
        if (got < DbFormat.HeaderSize)
        {
            return header[..got].ToArray();
        }

        long used = DbFormat.ReadUsed(header);
        long want = Math.Min(Math.Clamp(used, DbFormat.HeaderSize, Math.Max(status.Length, DbFormat.HeaderSize)), DbFormat.MaxFileSize);
        byte[] data = GC.AllocateUninitializedArray<byte>((int)want);
        header.CopyTo(data);
        int read = ReadFully(handle, path, data.AsSpan(DbFormat.HeaderSize), DbFormat.HeaderSize);
        return read + DbFormat.HeaderSize == data.Length ? data : data[..(DbFormat.HeaderSize + read)];
    }

    /// <summary>Reads a small state file (journal, generation, removal sidecar) whole, refusing one larger than <paramref name="maxBytes"/>.</summary>
    /// <exception cref="FileNotFoundException">The file is gone.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="IOException">Not a regular file, too large, or unreadable; the message names the file.</exception>
    public static byte[] ReadSmall(string path, int maxBytes)
    {
        using SafeFileHandle handle = Open(path, followSymlinks: false, out FileStatus status);
        if (status.Length > maxBytes)
        {
            throw new IOException($"{path}: {status.Length} bytes, more than the {maxBytes} such a file can hold");
        }

        byte[] data = new byte[status.Length];
        int read = ReadFully(handle, path, data, 0);
        return read == data.Length ? data : data[..read];
    }

    /// <summary>
    /// Creates a new temporary file to write and then rename into place: whatever is at <paramref name="path"/> (a
    /// leftover, or a symbolic link planted there) is unlinked, never followed, and the create is exclusive
    /// (<c>O_CREAT|O_EXCL</c>), so a link that appears in between makes it fail instead of writing elsewhere.
    /// </summary>
    /// <exception cref="IOException">The file cannot be created (full disk, read-only directory, a race).</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static FileStream CreateNew(string path, FileAccess access, FileShare share)
    {
        File.Delete(path);
        return new FileStream(path, FileMode.CreateNew, access, share, bufferSize: 0);
    }

    /// <summary>Writes <paramref name="bytes"/> to a new file at <paramref name="path"/> as <see cref="CreateNew"/> creates it.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> bytes)
    {
        using FileStream stream = CreateNew(path, FileAccess.Write, FileShare.Read);
        stream.Write(bytes);
    }

    private static int ReadFully(SafeFileHandle handle, string path, Span<byte> buffer, long offset)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = PositionalRead.Read(handle, buffer[total..], offset + total);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (IOException e)
        {
            throw new IOException($"{path}: {e.Message}", e);
        }

        return total;
    }
}
