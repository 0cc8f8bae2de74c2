using System.Text;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <summary>
/// Files no process can write any more, "frozen": their values stay as last read and later collections skip them, so
/// a warm collection costs what live writers change, not what the directory holds (dead workers' files pile up).
/// </summary>
/// <remarks>
/// <para>A file is frozen only while a watch on the directory (<see cref="DirectoryWatch"/>) is running, and only
/// after a probe that holds a kernel read lease on it (<see cref="ReadLease"/>: granted only while nobody has the file
/// open for writing or mapped writable) finds its identity, single link, <c>used</c> and every value exactly as the
/// reader holds them, and then reads the watch's queue. While the lease is held no writer can open the file, so every
/// event queued before that read is consumed by it, and any process that opens the file afterwards (a new worker that
/// reused a dead worker's PID, a compaction, a truncation or replacement) raises an event of its own, which thaws the
/// file at the next collection's start, before any refresh. Writes through a mapping raise no event, but the mapping
/// needs an open, and a writer's mapping kept after it closed its descriptor keeps the lease refused.</para>
/// <para>inotify does not say who opened a file, so any open thaws it, the reader's own too: a frozen file is never
/// opened by its reader (kept files stay open and are probed through that descriptor, so two readers of one directory
/// do not keep thawing each other's files). Lost events (queue overflow) or an ended watch thaw everything; where
/// inotify or leases are not available nothing is frozen and every collection refreshes every file, as before.</para>
/// <para><c>toggled</c> is told of every file frozen or thawed, when it happens, and whether alone (false when every
/// frozen file thaws at once): the owner keeps merge state that depends on which files are frozen.</para>
/// </remarks>
internal sealed class FrozenFiles(string directory, Dictionary<string, FileState>.AlternateLookup<ReadOnlySpan<char>> files, bool enabled, Action<FileState, bool> toggled)
    : IDirectoryEventSink, IDisposable
{
    // A file a writer holds is probed again after a backoff, so idle live writers cost a probe now and then, not per scrape.
    private const long FirstBackoffMilliseconds = 1_000;
    private const long LongestBackoffMilliseconds = 60_000;
    private const long UnavailableBackoffMilliseconds = 600_000;

    // Leases held at once while probing: bounds the descriptors a probe opens (files not kept) and what the kernel keeps.
    private const int MostHeld = 64;

    // More names changed than this since the last listing: listing the directory again costs less than checking each.
    private const int MostNamesChanged = 256;

    private readonly HashSet<FileState> _frozen = [];
    private readonly HashSet<string> _namesChanged = new(StringComparer.Ordinal);
    private bool _tooManyNamesChanged;
    private readonly List<FileState> _offered = [];
    private readonly HeldLeases _held = new();

    // Frozen files that may still have a kept descriptor, to give up one at a time (KeptToGiveUp); refilled from _frozen
    // when empty, and only after a file froze since the last refill found none.
    private readonly Queue<FileState> _keptToGiveUp = [];
    private long _freezes;
    private long _freezesAtRefill = -1;
    private DirectoryWatch? _watch;
    private int _collection;
    private bool _lost;

    /// <summary>Files frozen now.</summary>
    public int Count => _frozen.Count;

    /// <summary>Entries of the frozen files.</summary>
    public long Entries { get; private set; }

    /// <summary>
    /// The running watch's epoch, which changes whenever a watch starts or loses events; null without a running watch.
    /// While it stays the same, every name created, deleted, renamed or relinked since a listing made in it is in
    /// <see cref="NamesChanged"/>.
    /// </summary>
    public int? WatchEpoch => _watch is { Ended: false } ? _epoch : null;

    private int _epoch;

    /// <summary>Names (any entry, not only known files) the watch saw created, deleted, renamed or relinked since <see cref="ClearNamesChanged"/>; null when too many to be worth checking one by one.</summary>
    public IReadOnlySet<string>? NamesChanged => _tooManyNamesChanged ? null : _namesChanged;

    /// <summary>Forgets the names changed so far (a listing made now sees them).</summary>
    public void ClearNamesChanged()
    {
        _namesChanged.Clear();
        _tooManyNamesChanged = false;
    }

    /// <summary>Set when files were frozen or thawed; the owner clears it when it has rebuilt its list of live files.</summary>
    public bool SetChanged { get; set; }

    /// <summary>
    /// Starts collection <paramref name="collection"/>: probes the files the last collection left to probe later (see
    /// <see cref="ProbeLater"/>) unless told <paramref name="probeFirst"/> false; from the second collection on, watches
    /// the directory (from now on, before any probe) and thaws every frozen file something happened to since the last
    /// collection.
    /// </summary>
    public void Begin(int collection, long now, bool probeFirst)
    {
        if (probeFirst)
        {
            ProbePending(now);
        }
        else
        {
            // This collection offers them again if they still qualify, and only its own offers are probed after it.
            _probesPending = false;
        }

        _collection = collection;
        _offered.Clear();
        if (!enabled || collection < 2)
        {
            return;
        }

        if (_watch is { Ended: true })
        {
            StopWatching();
        }

        if (_watch is null && (_watch = DirectoryWatch.TryCreate(directory)) is not null)
        {
            _epoch++;
        }

        _watch?.Drain(this);
    }

    /// <summary>Reads the watch's queue now (thawing files as <see cref="Begin"/> does), so <see cref="NamesChanged"/> is up to date.</summary>
    public void ReadEvents() => _watch?.Drain(this);

    /// <summary>The directory now listed is another one than the one watched (replaced under its path): thaw everything.</summary>
    public void CheckDirectory(ulong device, ulong inode)
    {
        if (_watch is { } watch && (watch.Device != device || watch.Inode != inode))
        {
            StopWatching();
        }
    }

    /// <summary>Offers a file read cleanly by this collection, with values unchanged and nothing pending, for freezing.</summary>
    public void Offer(FileState file, long now)
    {
        if (_watch is not null && !file.Frozen && file.NextFreezeProbe <= now && file.NameEventIn != _collection)
        {
            _offered.Add(file);
        }
    }

    /// <summary>True while files offered by the last collection wait for <see cref="ProbePending"/>.</summary>
    public bool ProbesPending => _probesPending && _offered.Count > 0;

    private bool _probesPending;

    /// <summary>
    /// Leaves the offered files of a consistent pass to <see cref="ProbePending"/>, after the collection's response: freezing
    /// only spares later collections a file's refresh, and the probe checks under its lease that the file still holds what
    /// was read, so a file written meanwhile is not frozen. The next collection's <see cref="Begin"/> probes them if
    /// nothing did before.
    /// </summary>
    public void ProbeLater() => _probesPending = true;

    /// <summary>Probes the files <see cref="ProbeLater"/> left, if any (they still belong to the collection that offered them).</summary>
    public void ProbePending(long now)
    {
        if (_probesPending)
        {
            _probesPending = false;
            try
            {
                FreezeOffered(now);
            }
            finally
            {
                // A probe that failed leaves its files unfrozen (read again by the next collection), never half held.
                _offered.Clear();
                _held.Clear();
            }
        }
    }

    /// <summary>Probes the offered files and freezes those no process can write. Call only after a consistent pass.</summary>
    public void FreezeOffered(long now)
    {
        // Leases are taken on up to MostHeld files at once, so one read of the watch's queue covers them all.
        for (int start = 0; start < _offered.Count && _watch is { Ended: false }; start += MostHeld)
        {
            bool eventsRead;
            try
            {
                int end = Math.Min(_offered.Count, start + MostHeld);
                for (int i = start; i < end; i++)
                {
                    Hold(_offered[i], now);
                }

                eventsRead = ReadEventsWhileHeld();
            }
            finally
            {
                _held.ReleaseAll();
            }

            if (eventsRead)
            {
                FreezeHeld();
            }

            _held.Clear();
        }

        _offered.Clear();
    }

    /// <summary>Takes a lease on an offered file (checking under it that the file holds what was read); backs off from a file a writer holds.</summary>
    private void Hold(FileState file, long now)
    {
        switch (_held.TryHold(file))
        {
            case LeaseOutcome.WriterPresent:
                file.FreezeBackoff = Math.Clamp(file.FreezeBackoff * 2, FirstBackoffMilliseconds, LongestBackoffMilliseconds);
                file.NextFreezeProbe = now + file.FreezeBackoff;
                break;
            case LeaseOutcome.Unavailable:
                file.NextFreezeProbe = now + UnavailableBackoffMilliseconds;
                break;
        }
    }

    /// <summary>
    /// Reads the watch's queue while every held file's lease is held (no writer can open one of them now, so what a later
    /// open raises is an event of its own); false when events were lost or the watch ended.
    /// </summary>
    private bool ReadEventsWhileHeld()
    {
        if (_held.Count == 0 || _watch is null)
        {
            return false;
        }

        _lost = false;
        _watch.Drain(this);
        return !_lost && !_watch.Ended;
    }

    /// <summary>Freezes the held files that held what was read and whose name nothing happened to since.</summary>
    private void FreezeHeld()
    {
        foreach (HeldLeases.HeldFile held in _held.Files)
        {
            FileState file = held.File;
            if (held.Same && file.NameEventIn != _collection)
            {
                file.Frozen = true;
                toggled(file, true);
                file.FreezeBackoff = 0;
                _frozen.Add(file);
                _freezes++;
                Entries += file.Count;
                SetChanged = true;
            }
        }
    }

    /// <summary>Lets any frozen file be read again by the next collection.</summary>
    public void Thaw(FileState file)
    {
        if (file.Frozen)
        {
            file.Frozen = false;
            file.NextFreezeProbe = 0;
            toggled(file, true);
            _frozen.Remove(file);
            Entries -= file.Count;
            SetChanged = true;
        }
    }

    /// <summary>Thaws every frozen file.</summary>
    public void ThawAll()
    {
        foreach (FileState file in _frozen)
        {
            file.Frozen = false;
            file.NextFreezeProbe = 0;
            toggled(file, false);
        }

        SetChanged |= _frozen.Count > 0;
        _frozen.Clear();
        Entries = 0;
    }

    /// <summary>The frozen files, in no order.</summary>
    public IReadOnlyCollection<FileState> Files => _frozen;

    /// <summary>
    /// A frozen file that has a kept descriptor, for the owner to let go of when a file that changes needs the room (a
    /// frozen file's descriptor only spares an open if it thaws); null when none has one.
    /// </summary>
    public FileState? KeptToGiveUp()
    {
        if (_keptToGiveUp.Count == 0 && _freezes != _freezesAtRefill)
        {
            _freezesAtRefill = _freezes;
            foreach (FileState file in _frozen)
            {
                if (file.Kept is not null)
                {
                    _keptToGiveUp.Enqueue(file);
                }
            }
        }

        while (_keptToGiveUp.TryDequeue(out FileState? file))
        {
            if (file.Frozen && file.Kept is not null)
            {
                return file;
            }
        }

        return null;
    }

    void IDirectoryEventSink.OnEntry(ReadOnlySpan<byte> name, bool nameChanged, bool writerClosed)
    {
        Span<char> chars = stackalloc char[name.Length];
        ReadOnlySpan<char> fileName = chars[..Encoding.UTF8.GetChars(name, chars)];
        if (nameChanged && !_tooManyNamesChanged)
        {
            _tooManyNamesChanged = _namesChanged.Count >= MostNamesChanged;
            _namesChanged.Add(fileName.ToString());
        }

        if (fileName.EndsWith(DbRemovedKeys.Suffix, StringComparison.Ordinal))
        {
            // A removal sidecar changes what its .db file contributes.
            fileName = fileName[..^DbRemovedKeys.Suffix.Length];
            nameChanged = true;
        }

        if (files.TryGetValue(fileName, out FileState? file))
        {
            if (nameChanged)
            {
                file.NameEventIn = _collection;
            }

            if (writerClosed)
            {
                // A writer let go: worth probing at once instead of after its backoff.
                file.NextFreezeProbe = 0;
                file.FreezeBackoff = 0;
            }

            Thaw(file);
        }
    }

    void IDirectoryEventSink.OnLost()
    {
        _lost = true;
        _epoch++;
        ThawAll();
    }

    public void Dispose()
    {
        _probesPending = false;
        _watch?.Dispose();
        _watch = null;
        _held.Dispose();
    }

    private void StopWatching()
    {
        _watch?.Dispose();
        _watch = null;
        ThawAll();
    }

}
