using System.Text;
using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// One file's bytes from offset 0 (up to <c>used</c>) and its entries, or why they could not be read: what
/// <see cref="ColdReadAhead"/> prepares for the thread that resolves keys.
/// </summary>
internal sealed class ColdReadSlot
{
    private const int InitialBuffer = 1 << 16;

    // Linux allows 255 bytes per name; longer ones (other systems) are opened by path.
    private const int MaxNameBytes = 1024;

    /// <summary>One more than the index of the file this slot holds (0: none yet).</summary>
    public int PreparedIndex;

    /// <summary>Rented on first use, by the thread that prepares the slot's first file (empty until then).</summary>
    public byte[] Buffer { get; set; } = [];

    public int Read { get; private set; }

    public FileIdentity Identity { get; private set; }

    public bool Regular { get; private set; }

    /// <summary>The file's length by fstat (-1 when unknown).</summary>
    public long Length { get; private set; }

    /// <summary>Open or read failure, as <see cref="ReadOnlyOpen.Open"/> and <see cref="PositionalRead.Read(SafeFileHandle, Span{byte}, long)"/> throw them.</summary>
    public Exception? Error { get; private set; }

    /// <summary>The entries found in the bytes read (see <see cref="WalkedEntries"/>), cleared by <see cref="Fill"/>.</summary>
    public WalkedEntries Entries { get; } = new();

    /// <summary>Reads <paramref name="file"/>; <paramref name="listed"/> is its identity by the listing, or unknown (then it is measured).</summary>
    public void Fill(FileState file, int directoryFd, int usedBefore, FileIdentity listed)
    {
        Read = 0;
        Error = null;
        Regular = true;
        Length = -1;
        Identity = FileIdentity.Unknown;
        Entries.Clear();
        if (Buffer.Length == 0)
        {
            Buffer = ReadBuffers.Rent(InitialBuffer);
        }

        try
        {
            Span<byte> name = stackalloc byte[MaxNameBytes];
            if (directoryFd >= 0 && Encoding.UTF8.GetMaxByteCount(file.FileName.Length) < MaxNameBytes)
            {
                name[Encoding.UTF8.GetBytes(file.FileName, name)] = 0;
                int fd = ReadOnlyOpen.OpenAt(directoryFd, name, file.Path);
                try
                {
                    FillFrom(null, fd, usedBefore, listed);
                }
                finally
                {
                    ReadOnlyOpen.Close(fd);
                }
            }
            else
            {
                using SafeFileHandle handle = ReadOnlyOpen.Open(file.Path);
                FillFrom(handle, -1, usedBefore, FileIdentity.Unknown);
            }
        }
        catch (Exception e)
        {
            // Handed to the parsing thread, which reports it as its own read would have (or rethrows).
            Error = e;
        }
    }

    private void FillFrom(SafeFileHandle? handle, int fd, int usedBefore, FileIdentity listed)
    {
        long length = -1;
        if (listed == FileIdentity.Unknown)
        {
            if (!Measure(handle, fd, out length))
            {
                return;
            }
        }
        else
        {
            // Regular by the listing, and the first read covers a typical file: no fstat. A file the read does not
            // cover (the first of its kind, a damaged or growing one) is measured below.
            Identity = listed;
        }

        int firstRead = FileBytes.FirstReadSize(usedBefore);
        Read = ReadFrom(handle, fd, 0, firstRead);
        if (Read < DbFormat.HeaderSize)
        {
            return;
        }

        int used = DbFormat.ReadUsed(Buffer);
        if (used > Read)
        {
            if (listed != FileIdentity.Unknown)
            {
                if (!Measure(handle, fd, out length))
                {
                    return;
                }
            }
            else if (length >= 0 && used > length)
            {
                // The file may have grown since it was measured: measure again.
                if (handle is null)
                {
                    FileIdentity.Of(fd, out length, out _, out _);
                }
                else
                {
                    FileIdentity.Of(handle, out length);
                }

                Length = length;
            }

            // Read at most what the file holds, so a lying header cannot make the buffer huge.
            int limit = length >= 0 ? (int)Math.Min(used, length) : used;
            Read += ReadFrom(handle, fd, Read, limit - Read);
        }
    }

    /// <summary>Takes identity, length and type from <c>fstat</c>; false when it is not a regular file.</summary>
    private bool Measure(SafeFileHandle? handle, int fd, out long length)
    {
        bool regular;
        Identity = handle is null ? FileIdentity.Of(fd, out length, out _, out regular) : FileIdentity.Of(handle, out length, out _, out regular);
        Length = length;
        Regular = regular;
        return regular;
    }

    private int ReadFrom(SafeFileHandle? handle, int fd, int offset, int count)
    {
        byte[] buffer = Buffer;
        int read = handle is null
            ? PositionalRead.ReadInto(fd, ref buffer, offset, count)
            : PositionalRead.ReadInto(handle, ref buffer, offset, count);
        Buffer = buffer;
        return read;
    }
}
