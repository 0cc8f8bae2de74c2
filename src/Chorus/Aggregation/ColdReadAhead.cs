using System.Buffers;
using Chorus.Files;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Reads files a reader has never seen on a second thread, a bounded window ahead of the thread that parses
/// them: on a cold pass over thousands of files the kernel work (open, fstat, pread, close and copying
/// from the page cache) is about half the time, and it overlaps with parsing on the other core. Files are
/// handed over strictly in the given order, so the merge stays deterministic.
/// </summary>
internal sealed class ColdReadAhead : IDisposable
{
    private const int Window = 64;

    // Handed over in batches: one semaphore hand-off per file cost more CPU (spinning) than it saved.
    private const int Batch = 8;
    private const int Batches = Window / Batch;
    private const int InitialBuffer = 1 << 16;

    private readonly IReadOnlyList<FileState> _files;
    private readonly Slot[] _slots = new Slot[Window];
    private readonly SemaphoreSlim _filled = new(0, Batches);
    private readonly SemaphoreSlim _free = new(Batches, Batches);
    private readonly Thread _thread;
    private readonly int[] _usedByKind = new int[4];
    private volatile bool _stopping;
    private int _next;

    public ColdReadAhead(IReadOnlyList<FileState> files)
    {
        _files = files;
        for (int i = 0; i < Window; i++)
        {
            _slots[i] = new Slot();
        }

        _thread = new Thread(ReadAll) { IsBackground = true, Name = "chorus cold read-ahead" };
        _thread.Start();
    }

    /// <summary>
    /// Takes the next file's read when it is <paramref name="file"/>. The slot stays valid until
    /// <see cref="Return"/>; returns null (and the caller reads the file itself) when the order differs.
    /// </summary>
    public Slot? Take(FileState file)
    {
        if (_next >= _files.Count || !ReferenceEquals(_files[_next], file))
        {
            return null;
        }

        if (_next % Batch == 0)
        {
            _filled.Wait();
        }

        return _slots[_next++ % Window];
    }

    /// <summary>Gives the last taken slot back to the reading thread.</summary>
    public void Return()
    {
        if (_next % Batch == 0 || _next == _files.Count)
        {
            _free.Release();
        }
    }

    public void Dispose()
    {
        _stopping = true;

        // Wake the reader if it waits for room; it checks the flag before each file.
        if (_free.CurrentCount < Batches)
        {
            _free.Release();
        }
        _thread.Join();
        foreach (Slot slot in _slots)
        {
            ArrayPool<byte>.Shared.Return(slot.Buffer);
            slot.Buffer = [];
        }

        _filled.Dispose();
        _free.Dispose();
    }

    private void ReadAll()
    {
        for (int i = 0; i < _files.Count; i++)
        {
            if (i % Batch == 0)
            {
                _free.Wait();
                if (_stopping)
                {
                    return;
                }
            }

            Slot slot = _slots[i % Window];
            FileState file = _files[i];
            slot.Fill(file, _usedByKind[(int)file.Name.Kind]);
            if (slot.Read >= DbFormat.HeaderSize)
            {
                _usedByKind[(int)file.Name.Kind] = Math.Max(0, DbFormat.ReadUsed(slot.Buffer));
            }

            if ((i + 1) % Batch == 0 || i + 1 == _files.Count)
            {
                _filled.Release();
            }
        }
    }

    /// <summary>One file's bytes from offset 0 (up to <c>used</c>), or why they could not be read.</summary>
    internal sealed class Slot
    {
        public byte[] Buffer { get; set; } = ArrayPool<byte>.Shared.Rent(InitialBuffer);

        public int Read { get; private set; }

        public FileIdentity Identity { get; private set; }

        public bool Regular { get; private set; }

        /// <summary>The file's length by fstat (-1 when unknown).</summary>
        public long Length { get; private set; }

        /// <summary>Open or read failure, as <see cref="ReadOnlyOpen.Open"/> and <see cref="PositionalRead.Read"/> throw them.</summary>
        public Exception? Error { get; private set; }

        public void Fill(FileState file, int usedBefore)
        {
            Read = 0;
            Error = null;
            Regular = true;
            Length = -1;
            Identity = FileIdentity.Unknown;
            try
            {
                using SafeFileHandle handle = ReadOnlyOpen.Open(file.Path);
                Identity = FileIdentity.Of(handle, out long length, out _, out bool regular);
                Length = length;
                Regular = regular;
                if (!regular)
                {
                    return;
                }

                Read = ReadFrom(handle, 0, FileLoader.FirstReadSize(usedBefore));
                if (Read < DbFormat.HeaderSize)
                {
                    return;
                }

                int used = DbFormat.ReadUsed(Buffer);
                if (used > Read)
                {
                    if (length >= 0 && used > length)
                    {
                        // The file may have grown since it was measured: measure again.
                        FileIdentity.Of(handle, out length);
                        Length = length;
                    }

                    // Read at most what the file holds, so a lying header cannot make the buffer huge.
                    int limit = length >= 0 ? (int)Math.Min(used, length) : used;
                    Read += ReadFrom(handle, Read, limit - Read);
                }
            }
            catch (Exception e)
            {
                // Handed to the parsing thread, which reports it as its own read would have (or rethrows).
                Error = e;
            }
        }

        private int ReadFrom(SafeFileHandle handle, int offset, int count)
        {
            byte[] buffer = Buffer;
            int read = PositionalRead.ReadInto(handle, ref buffer, offset, count);
            Buffer = buffer;
            return read;
        }
    }
}
