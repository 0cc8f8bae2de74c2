using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Prepares files a reader has never seen on both cores: a second thread opens, reads and closes them and walks
/// their entries (a <see cref="ColdReadSlot"/> per file), up to a bounded window ahead of the thread that resolves keys
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
    private const int AheadBytes = 8 << 20;
    private const int MinimumAhead = 4;
    private const int SpinsBeforeSleeping = 64;

    private readonly IReadOnlyList<FileState> _files;
    private readonly ColdReadSlot[] _slots = new ColdReadSlot[Window];
    private readonly Thread _thread;
    private readonly int _directoryFd;

    // The device of the files when the listing's inodes are their identities (null: fstat each file).
    private readonly ulong? _device;
    private readonly int[] _usedByKind = new int[Kinds];
    private const int Kinds = 4;
    private readonly EntryReference?[] _references = new EntryReference?[Kinds + Enum.GetValues<GaugeMode>().Length];

    // 1 once a thread took on making the reference at that index: both threads start on files of one kind together,
    // and each made its own copy of the first file's bytes (7.8 MB of the GitLab-sized host's cold pass).
    private readonly int[] _referenceClaimed = new int[Kinds + Enum.GetValues<GaugeMode>().Length];
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
            _slots[i] = new ColdReadSlot();
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
    public ColdReadSlot? Take(FileState file)
    {
        if (_next >= _files.Count || !ReferenceEquals(_files[_next], file))
        {
            return null;
        }

        int index = _next++;
        Taken++;
        ColdReadSlot slot = _slots[index % Window];
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
        ColdReadSlot slot = _slots[(_next - 1) % Window];
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
        foreach (ColdReadSlot slot in _slots)
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
        ColdReadSlot slot = _slots[index % Window];
        FileState file = _files[index];
        int kind = (int)file.Name.Kind;
        if (!ReadBuffers.IsLarge(slot.Buffer))
        {
            // A slot that last held a small file keeps its small buffer; a large file read into it would allocate
            // (and fault in) a new large buffer while the spares of files given back sit unused.
            TakeSpare(slot);
        }

        // Only a read-size guess: both threads update it, and a stale value costs at most a second read.
        FileIdentity listed = _device is { } device && file.ListedRegular && file.ListedInode != 0 ? new FileIdentity(device, file.ListedInode) : FileIdentity.Unknown;
        slot.Fill(file, _directoryFd, Volatile.Read(ref _usedByKind[kind]), listed);
        if (slot.Read >= DbFormat.HeaderSize)
        {
            int used = DbFormat.ReadUsed(slot.Buffer);
            Volatile.Write(ref _usedByKind[kind], Math.Max(0, used));
            WalkEntries(slot, file, used);
        }

        Volatile.Write(ref slot.PreparedIndex, index + 1);
    }

    private void TakeSpare(ColdReadSlot slot)
    {
        byte[]? spare;
        lock (_spareBuffers)
        {
            _spareBuffers.TryPop(out spare);
        }

        if (spare is not null)
        {
            ReadBuffers.Return(slot.Buffer);
            slot.Buffer = spare;
        }
    }

    /// <summary>
    /// Finds the slot's entries: those of the reference of the file's kind (the first file of that kind and gauge mode
    /// prepared, by either thread) when every byte but the values is the reference's, else by walking them. Files
    /// that match let the thread that resolves keys share entry arrays without comparing any key itself (see <see cref="FileLoader"/>'s cold half).
    /// </summary>
    private void WalkEntries(ColdReadSlot slot, FileState file, int used)
    {
        ReadOnlySpan<byte> data = slot.Buffer.AsSpan(0, slot.Read);
        WalkedEntries entries = slot.Entries;
        int at = ReferenceIndex(file.Name);
        EntryReference? reference = Volatile.Read(ref _references[at]);
        if (reference is null || !reference.TryTakeAlike(data, used, entries))
        {
            entries.Walk(data, used);
            if (entries.Count == 0)
            {
                return;
            }

            if (reference is null && Interlocked.Exchange(ref _referenceClaimed[at], 1) == 0)
            {
                // A file that makes none (no layout) leaves the claim to the next file of its kind.
                reference = EntryReference.Of(data, entries, used);
                if (reference is null)
                {
                    Volatile.Write(ref _referenceClaimed[at], 0);
                }
                else
                {
                    Volatile.Write(ref _references[at], reference);
                }
            }

            if (reference is null || !reference.Matches(data, entries))
            {
                return;
            }

            entries.Reference = reference;
        }

        if (file.Name.Kind != DbFileKind.Gauge)
        {
            // Such a file will most likely share its entry arrays: it needs only its values, read here while hot.
            // (A gauge file's values are copied with their timestamps once its entries are taken.)
            entries.Values = EntryValues.Read(data, entries.ValueOffsets);
        }
    }

    /// <summary>Files of one kind (and one gauge mode: their keys differ) share a reference.</summary>
    private static int ReferenceIndex(DbFileName name) =>
        name.Kind == DbFileKind.Gauge ? Kinds + (int)(name.Mode ?? GaugeMode.All) : (int)name.Kind;
}
