using System.Buffers.Binary;
using System.Text;
using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Prepares files a reader has never seen on both cores: a second thread opens, reads and closes them and walks
/// their entries (a <see cref="Slot"/> per file), up to a bounded window ahead of the thread that resolves keys
/// and merges them in file order. When that thread catches up with the second one, it prepares the next file
/// itself instead of waiting, so whichever side is slower gets help. Preparing a file depends on that file alone,
/// and the caller consumes them strictly in the given order, so results do not depend on thread timing.
/// </summary>
internal sealed class ColdReadAhead : IDisposable
{
    private const int Window = 64;

    // Files prepared ahead hold their bytes until taken: at most this many bytes' worth of files of the largest
    // kind seen so far (but always MinimumAhead files), so a host whose files use megabytes each does not hold 64 of
    // them at once.
    private const int AheadBytes = 32 << 20;
    private const int MinimumAhead = 4;
    private const int InitialBuffer = 1 << 16;
    private const int SpinsBeforeSleeping = 64;

    // Linux allows 255 bytes per name; longer ones (other systems) are opened by path.
    private const int MaxNameBytes = 1024;

    private readonly IReadOnlyList<FileState> _files;
    private readonly Slot[] _slots = new Slot[Window];
    private readonly Thread _thread;
    private readonly int _directoryFd;

    // The device of the files when the listing's inodes are their identities (null: fstat each file).
    private readonly ulong? _device;
    private readonly int[] _usedByKind = new int[4];
    private readonly EntryReference?[] _references = new EntryReference?[4];
    // Large buffers (see ReadBuffers) of files given back, for the next files to read into: about as many as the window
    // holds are allocated in a pass, instead of one per file.
    private readonly Stack<byte[]> _spareBuffers = new();
    private readonly ManualResetEventSlim _room = new(false, spinCount: 1);
    private volatile bool _stopping;

    // 1 while the reading thread waits for room (set and read with full fences: see Return and WaitForRoom).
    private int _readerWaiting;

    // Files [0, _claimed) are being or have been prepared (by either thread); the consumer is done with [0, _returned).
    private int _claimed;
    private int _returned;
    private int _next;

    /// <param name="directory">The directory listed.</param>
    /// <param name="files">The files to prepare, in the order they will be taken.</param>
    /// <param name="identityFromListing">
    /// Whether a file the listing called regular may take its identity from the listing (its inode, the directory's
    /// device) instead of an <c>fstat</c> (not while a compaction journal needs the identity of each file opened).
    /// </param>
    public ColdReadAhead(string directory, IReadOnlyList<FileState> files, bool identityFromListing)
    {
        _files = files;
        for (int i = 0; i < Window; i++)
        {
            _slots[i] = new Slot();
        }

        _directoryFd = ReadOnlyOpen.OpenDirectory(directory);
        _device = identityFromListing ? ListingDevice() : null;
        _thread = new Thread(ReadAll) { IsBackground = true, Name = "chorus cold read-ahead" };
        _thread.Start();
    }

    /// <summary>
    /// The directory's device, when the first regular file's <c>fstat</c> agrees with what the listing says of it: on
    /// most filesystems a name's inode in the listing is the file's, but not everywhere (overlayfs reports the layer's
    /// device for files), and then every file is measured.
    /// </summary>
    private ulong? ListingDevice()
    {
        if (_directoryFd < 0 || !FileStatus.TryRead(_directoryFd, out FileStatus directory))
        {
            return null;
        }

        foreach (FileState file in _files)
        {
            if (!file.ListedRegular || file.ListedInode == 0)
            {
                continue;
            }

            try
            {
                using SafeFileHandle handle = ReadOnlyOpen.Open(file.Path);
                return FileIdentity.Of(handle, out _) == new FileIdentity(directory.Device, file.ListedInode) ? directory.Device : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone or unreadable since the listing: its own read reports it; the next file decides.
            }
        }

        return null;
    }

    /// <summary>How many files may be prepared ahead of the last one given back (see <see cref="AheadBytes"/>).</summary>
    private int Ahead
    {
        get
        {
            int largest = 1;
            for (int kind = 0; kind < _usedByKind.Length; kind++)
            {
                largest = Math.Max(largest, Volatile.Read(ref _usedByKind[kind]));
            }

            return Math.Clamp(AheadBytes / largest, MinimumAhead, Window);
        }
    }

    // Once the window is full the reading thread blocks until this many slots are free again, so it wakes once
    // per several files rather than once per file, and spins for none of them.
    private static int RefillOf(int ahead) => ahead / 4;

    /// <summary>
    /// Takes the next file's prepared read when it is <paramref name="file"/>, preparing it on this thread when the
    /// other has not started it. The slot stays valid until <see cref="Return"/>; returns null (and the caller reads
    /// the file itself) when the order differs.
    /// </summary>
    public Slot? Take(FileState file)
    {
        if (_next >= _files.Count || !ReferenceEquals(_files[_next], file))
        {
            return null;
        }

        int index = _next++;
        Taken++;
        Slot slot = _slots[index % Window];
        SpinWait spin = default;
        while (Volatile.Read(ref slot.PreparedIndex) != index + 1)
        {
            // Not ready: prepare the first file nobody has started, this one or (while the other thread is on this
            // one) a later one, so this thread helps rather than waits when the other is the slower.
            int unclaimed = Volatile.Read(ref _claimed);
            if (unclaimed < Math.Min(index + Ahead, _files.Count) && Interlocked.CompareExchange(ref _claimed, unclaimed + 1, unclaimed) == unclaimed)
            {
                Prepare(unclaimed);
            }
            else
            {
                // The other thread finishes a file in microseconds; waiting longer means it lost its core, and this
                // thread then sleeps rather than spin against it.
                spin.SpinOnce(SpinsBeforeSleeping);
            }
        }

        return slot;
    }

    /// <summary>Files handed over so far.</summary>
    public int Taken { get; private set; }

    /// <summary>Gives the last taken slot back to be reused.</summary>
    public void Return()
    {
        Slot slot = _slots[(_next - 1) % Window];
        if (ReadBuffers.IsLarge(slot.Buffer))
        {
            // Only files in the window hold a large buffer; the next file read takes it.
            lock (_spareBuffers)
            {
                _spareBuffers.Push(slot.Buffer);
            }

            slot.Buffer = [];
        }

        Interlocked.Exchange(ref _returned, _next);
        int ahead = Ahead;
        if (Volatile.Read(ref _readerWaiting) == 1 && _next + ahead - Volatile.Read(ref _claimed) >= RefillOf(ahead))
        {
            _room.Set();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _room.Set();
        _thread.Join();
        _room.Dispose();
        ReadOnlyOpen.Close(_directoryFd);
        foreach (Slot slot in _slots)
        {
            ReadBuffers.Return(slot.Buffer);
            slot.Buffer = [];
        }

        lock (_spareBuffers)
        {
            _spareBuffers.Clear();
        }
    }

    private void ReadAll()
    {
        while (!_stopping)
        {
            int index = Volatile.Read(ref _claimed);
            if (index >= _files.Count)
            {
                return;
            }

            if (Volatile.Read(ref _returned) + Ahead - index <= 0)
            {
                WaitForRoom();
                continue;
            }

            if (Interlocked.CompareExchange(ref _claimed, index + 1, index) == index)
            {
                Prepare(index);
            }
        }
    }

    /// <summary>Blocks until <see cref="RefillOf"/> slots are free (or the pass is over).</summary>
    private void WaitForRoom()
    {
        _room.Reset();
        Interlocked.Exchange(ref _readerWaiting, 1);

        // Checked after announcing the wait: either this sees the room Return made, or Return sees the announcement.
        while (!_stopping && Volatile.Read(ref _returned) + Ahead - Volatile.Read(ref _claimed) < RefillOf(Ahead) && Volatile.Read(ref _claimed) < _files.Count)
        {
            _room.Wait();
            _room.Reset();
        }

        Interlocked.Exchange(ref _readerWaiting, 0);
    }

    private void Prepare(int index)
    {
        Slot slot = _slots[index % Window];
        FileState file = _files[index];
        int kind = (int)file.Name.Kind;
        if (slot.Buffer.Length == 0)
        {
            lock (_spareBuffers)
            {
                if (_spareBuffers.TryPop(out byte[]? spare))
                {
                    slot.Buffer = spare;
                }
            }
        }

        // Only a read-size guess: both threads update it, and a stale value costs at most a second read.
        FileIdentity listed = _device is { } device && file.ListedRegular && file.ListedInode != 0 ? new FileIdentity(device, file.ListedInode) : FileIdentity.Unknown;
        slot.Fill(file, _directoryFd, Volatile.Read(ref _usedByKind[kind]), listed);
        if (slot.Read >= DbFormat.HeaderSize)
        {
            Volatile.Write(ref _usedByKind[kind], Math.Max(0, DbFormat.ReadUsed(slot.Buffer)));
        }

        if (slot.Entries.Count > 0 && file.Name.Kind != DbFileKind.Gauge)
        {
            // Gauge files' entries are the file's own (their targets carry the pid): never shared, nothing to compare.
            CompareWithReference(slot, kind);
        }

        Volatile.Write(ref slot.PreparedIndex, index + 1);
    }

    /// <summary>
    /// Compares the slot's entries with the reference of its kind (the first file of that kind prepared, by either
    /// thread), so the thread that resolves keys can share entry arrays without comparing keys (see
    /// <see cref="FileLoader"/>'s cold half).
    /// </summary>
    private void CompareWithReference(Slot slot, int kind)
    {
        ReadOnlySpan<byte> data = slot.Buffer.AsSpan(0, slot.Read);
        EntryReference? reference = Volatile.Read(ref _references[kind]);
        if (reference is null && EntryReference.Of(data, slot.Entries) is { } made)
        {
            reference = Interlocked.CompareExchange(ref _references[kind], made, null) ?? made;
        }

        if (reference is not null && reference.Matches(data, slot.Entries))
        {
            // Such a file will most likely share its entry arrays: it needs only its values, read here while hot.
            slot.Entries.Reference = reference;
            slot.Entries.Values = ReadValues(data, slot.Entries.ValueOffsets);
        }
    }

    /// <summary>The value at each offset (the first 8 bytes of an entry's value field, little-endian).</summary>
    private static double[] ReadValues(ReadOnlySpan<byte> data, ReadOnlySpan<int> valueOffsets)
    {
        var values = new double[valueOffsets.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadDoubleLittleEndian(data[valueOffsets[i]..]);
        }

        return values;
    }

    /// <summary>One file's bytes from offset 0 (up to <c>used</c>) and its entries, or why they could not be read.</summary>
    internal sealed class Slot
    {
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

        /// <summary>The entries found in the bytes read (see <see cref="WalkedEntries"/>).</summary>
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
                return;
            }

            if (Read >= DbFormat.HeaderSize)
            {
                Entries.Walk(Buffer.AsSpan(0, Read), DbFormat.ReadUsed(Buffer));
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

            int firstRead = FileLoader.FirstReadSize(usedBefore);
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
}
