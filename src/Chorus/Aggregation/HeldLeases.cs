using System.Buffers;
using System.Buffers.Binary;
using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Kernel read leases (<see cref="ReadLease"/>) held on several files at once while <see cref="FrozenFiles"/> probes them,
/// each checked under its lease to hold exactly what the reader read; given back together, so one read of the directory
/// watch's queue made while they are all held covers every one of them.
/// </summary>
internal sealed class HeldLeases : IDisposable
{
    private readonly List<HeldFile> _held = [];
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 12);

    /// <summary>How many leases are held (or were, until <see cref="Clear"/>).</summary>
    public int Count => _held.Count;

    /// <summary>The files whose lease was taken, in the order taken.</summary>
    public IReadOnlyList<HeldFile> Files => _held;

    /// <summary>
    /// Takes a lease on <paramref name="file"/> (through its kept descriptor, else a new read-only one) and, when granted,
    /// checks the file under it and keeps holding it. Null when the file could not be opened.
    /// </summary>
    public LeaseOutcome? TryHold(FileState file)
    {
        SafeFileHandle? opened = null;
        KeptFile? kept = file.Kept;
        if (kept is null)
        {
            try
            {
                opened = ReadOnlyOpen.Open(file.Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        // No new open for a kept file: an open would thaw this file in every other reader of the directory.
        SafeFileHandle handle = opened ?? kept!.Handle;
        LeaseOutcome lease = ReadLease.TryAcquire(handle);

        if (lease != LeaseOutcome.Held)
        {
            opened?.Dispose();
            return lease;
        }

        bool same;
        try
        {
            same = HoldsWhatWasRead(file, kept, opened);
        }
        catch
        {
            // Not held in the list yet: a lease left held would make every writer's open wait for the kernel to break it.
            ReadLease.Release(handle);
            opened?.Dispose();
            throw;
        }

        _held.Add(new HeldFile(file, handle, opened, same));
        return lease;
    }

    /// <summary>Gives every lease back (writers waiting in <c>open</c> proceed) and closes the descriptors opened for them; <see cref="Files"/> stays until <see cref="Clear"/>.</summary>
    public void ReleaseAll()
    {
        foreach (HeldFile held in _held)
        {
            ReadLease.Release(held.Handle);
            held.Opened?.Dispose();
        }
    }

    /// <summary>Forgets the files released.</summary>
    public void Clear() => _held.Clear();

    public void Dispose()
    {
        ReleaseAll();
        _held.Clear();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    /// <summary>
    /// True when the file under the lease is the one read (same inode, reached by its name and no other, not shrunk) with
    /// the same entries and values. <paramref name="opened"/> is a descriptor opened for the probe, null for the kept one.
    /// </summary>
    private bool HoldsWhatWasRead(FileState file, KeptFile? kept, SafeFileHandle? opened)
    {
        // One statx of the name, not following a symbolic link, says what the name leads to: a second name, or a symbolic
        // link to a file elsewhere, could be opened from another directory, where the watch sees nothing.
        int used = file.ParsedUpTo;
        if (!FileStatus.TryReadEntry(file.Path, out FileStatus entry) || !entry.IsRegular || entry.Links != 1
            || new FileIdentity(entry.Device, entry.Inode) != file.Identity || entry.Length < used)
        {
            return false;
        }

        if (kept is not null)
        {
            // The kept descriptor is that file too, and nobody can shrink it while the lease is held: the mapping is safe to read.
            return kept.Identity == file.Identity && entry.Length >= kept.MappedLength && kept.MappedLength >= used
                && ValuesMatch(file, kept.Bytes(used));
        }

        try
        {
            // A descriptor opened now may be another file than the name led to a moment ago.
            return FileIdentity.Of(opened!, out _) == file.Identity
                && PositionalRead.ReadInto(opened!, ref _buffer, 0, used) == used && ValuesMatch(file, _buffer.AsSpan(0, used));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool ValuesMatch(FileState file, ReadOnlySpan<byte> data)
    {
        if (data.Length < file.ParsedUpTo || DbFormat.ReadUsed(data) != file.ParsedUpTo || file.Layout is null)
        {
            return false;
        }

        bool timestamps = file.KeepsTimestamps && file.Layout == ValueLayout.ValueAndTimestamp16;
        int width = timestamps ? 16 : 8;
        int[] offsets = file.ValueOffsets;
        for (int i = 0; i < file.Count; i++)
        {
            int offset = offsets[i];
            if (offset < 0 || offset > data.Length - width
                || BinaryPrimitives.ReadInt64LittleEndian(data[offset..]) != BitConverter.DoubleToInt64Bits(file.Values[i]))
            {
                return false;
            }

            if (file.KeepsTimestamps)
            {
                long stamp = timestamps ? BinaryPrimitives.ReadInt64LittleEndian(data[(offset + 8)..]) : 0;
                if (stamp != BitConverter.DoubleToInt64Bits(file.TimestampAt(i)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>A file whose lease is held: its descriptor (opened for the probe, or kept) and whether it holds what was read.</summary>
    public readonly record struct HeldFile(FileState File, SafeFileHandle Handle, SafeFileHandle? Opened, bool Same);
}
