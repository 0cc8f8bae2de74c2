using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// The values of files whose entries are all parsed, copied from their bytes into their state: the warm refresh of kept
/// files (from the mapping) and idle ones (open, read, close), on several threads at once, and the copy
/// <see cref="FileLoader"/> does after parsing. Touches only the file's own state, never the merge's.
/// </summary>
internal static class ValueRefresh
{
    /// <summary>
    /// Whether <paramref name="file"/>'s name still refers to the file read before: the listing was skipped, or it saw
    /// the same inode under the name. (A compaction that replaces files raises the generation first, so a pass that
    /// races it is repeated whatever this says.)
    /// </summary>
    private static bool StillNamed(FileState file, CollectionPass pass) =>
        pass.NamesUnchanged || (file.ListedInode != 0 && file.ListedInode == file.Identity.Inode);

    /// <summary>
    /// Refreshes a kept file whose entries are all parsed already: <c>fstat</c>, then the values copied from
    /// the mapping. Touches only <paramref name="file"/>'s own state, so files may be refreshed on several
    /// threads at once. Returns false (nothing changed in the file's state) when the file needs the full
    /// <see cref="FileLoader.Load(FileState, CollectionPass)"/>: not kept, replaced, shrunk, grown past its mapping, new entries or damage.
    /// </summary>
    public static bool TryRefreshKept(FileState file, CollectionPass pass)
    {
        if (file.Kept is not { } kept || file.NameError is not null || file.Layout is null
            || !(StillNamed(file, pass) ? kept.IsLongEnough() : kept.IsCurrent(file.Identity, out _)))
        {
            return false;
        }

        int used = kept.ReadUsed();
        if (used < DbFormat.HeaderSize || used != file.ParsedUpTo || used > kept.MappedLength)
        {
            return false;
        }

        bool changed = kept.ChangeMap(file.Path, pass.Now, pass.ChangeMapLookupFor(file.FileName)) is { } map && map.TryBegin(ChangeMapFormat.RegionsFor(used))
            ? ChangedRegions.Copy(file, kept.Bytes(used), map, pass.Collection)
            : CopyValues(file, kept.Bytes(used), pass.Collection);
        if (changed)
        {
            file.LastChanged = pass.Now;
            file.ChangedInCollection = pass.Collection;
        }

        file.Refreshed = pass.Generation;
        return true;
    }

    /// <summary>
    /// As <see cref="TryRefreshKept"/>, for a file read before that is not kept and would not be kept now (idle,
    /// or keeping is off: <paramref name="wouldKeep"/> false): open, read up to <c>used</c> into <paramref name="buffer"/>, <c>fstat</c>, copy, close.
    /// Thread-safe for distinct files and buffers. <paramref name="bytesRead"/> is what was read.
    /// </summary>
    public static bool TryRefreshIdle(FileState file, CollectionPass pass, bool wouldKeep, byte[] buffer, out int bytesRead)
    {
        bytesRead = 0;
        int size = file.ParsedUpTo;
        if (file.Kept is not null || wouldKeep || file.NameError is not null || file.Layout is null || file.LastCollection == 0
            || size <= DbFormat.HeaderSize || size > buffer.Length || file.Identity == FileIdentity.Unknown)
        {
            return false;
        }

        try
        {
            using SafeFileHandle handle = ReadOnlyOpen.Open(file.Path);
            if (!StillNamed(file, pass) && (FileIdentity.Of(handle, out _, out _, out bool regular) != file.Identity || !regular))
            {
                return false;
            }

            while (bytesRead < size)
            {
                int n = PositionalRead.Read(handle, buffer.AsSpan(bytesRead, size - bytesRead), bytesRead);
                if (n == 0)
                {
                    return false;
                }

                bytesRead += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left to Load, which reports it.
            return false;
        }

        if (DbFormat.ReadUsed(buffer) != size)
        {
            return false;
        }

        if (CopyValues(file, buffer.AsSpan(0, size), pass.Collection))
        {
            file.LastChanged = pass.Now;
            file.ChangedInCollection = pass.Collection;
        }

        file.Refreshed = pass.Generation;
        return true;
    }

    /// <summary>
    /// Copies every parsed entry's value (and timestamp) from <paramref name="data"/>; true when any changed.
    /// Each changed entry is noted once per collection in <see cref="FileState.ChangedEntries"/> and, with the value it had,
    /// in <see cref="FileState.Changes"/> for collection <paramref name="collection"/> (0 for a file read in full, whose
    /// families merge in full), which the merge side takes (<see cref="ChangedSlots"/>).
    /// </summary>
    /// <remarks>
    /// The hottest loop of a warm scrape (every value of every file): one scattered 8-byte read per entry, so it
    /// is bound by memory latency. It stores only what changed and asks for values a few entries ahead.
    /// </remarks>
    public static unsafe bool CopyValues(FileState file, ReadOnlySpan<byte> data, int collection = 0)
    {
        if (!CheckBounds(file, data))
        {
            return false;
        }

        if (collection == 0)
        {
            // A file read in full: its values' second array is made once, not grown an eighth at a time (a cold pass over
            // the GitLab-sized host's gauge files, all fractions, allocated 9 times their values that way).
            file.Values.ReserveFor(data, file.ValueOffsets.AsSpan(0, file.Count));
        }

        var noted = default(Noted);
        fixed (byte* start = data)
        {
            return CopyEntries(file, start, 0, file.Count, collection, ref noted);
        }
    }

    /// <summary>False when the file has no entries; throws when one lies past <paramref name="data"/>.</summary>
    public static bool CheckBounds(FileState file, ReadOnlySpan<byte> data)
    {
        int count = file.Count;
        if (count == 0)
        {
            return false;
        }

        bool timestamps = file.KeepsTimestamps && file.Layout == ValueLayout.ValueAndTimestamp16;

        // Entries are appended in file order, so the last value lies furthest in: one check covers every read.
        if ((uint)file.ValueOffsets[count - 1] > (uint)(data.Length - (timestamps ? 16 : 8)))
        {
            throw new InvalidOperationException("A parsed entry lies beyond the data it was parsed from.");
        }

        return true;
    }

    /// <summary>Copies entries <paramref name="from"/> to <paramref name="to"/> (excluded) from <paramref name="start"/>; true when any changed.</summary>
    private static unsafe bool CopyEntries(FileState file, byte* start, int from, int to, int collection, ref Noted noted)
    {
        bool timestamps = file.KeepsTimestamps && file.Layout == ValueLayout.ValueAndTimestamp16;
        int[] offsets = file.ValueOffsets;
        bool changed = false;

        // Far enough ahead to cover a cold page's latency after an idle gap: the GitLab-sized host's refresh stage (5.1 M
        // entries, 1 GB mapped) took 51–54 ms (medians) asking 8 entries ahead, 38–49 ms asking 32 (docs/benchmarks.md).
        const int Ahead = 32;
        for (int i = from; i < to; i++)
        {
            if (Sse.IsSupported && i + Ahead < to)
            {
                Sse.Prefetch0(start + offsets[i + Ahead]);
            }

            changed |= CopyEntry(file, start, i, timestamps, collection, ref noted);
        }

        return changed;
    }

    /// <summary>
    /// Copies the <paramref name="count"/> entries listed in <paramref name="picked"/> (in file order) from
    /// <paramref name="start"/>; true when any changed. The entries are scattered (a few per changed region), so each
    /// costs cache misses on its offset, its kept value and its mapped value: all three are asked for ahead, the offset
    /// and kept value twice as far, since the mapped value's address needs the offset.
    /// </summary>
    public static unsafe bool CopyPicked(FileState file, byte* start, int[] picked, int count, int collection)
    {
        bool timestamps = file.KeepsTimestamps && file.Layout == ValueLayout.ValueAndTimestamp16;
        int[] offsets = file.ValueOffsets;
        EntryValues values = file.Values;
        bool changed = false;
        var noted = default(Noted);
        const int Ahead = 48;
        for (int k = 0; k < count; k++)
        {
            if (Sse.IsSupported)
            {
                if (k + (2 * Ahead) < count)
                {
                    int far = picked[k + (2 * Ahead)];
                    Sse.Prefetch0(Unsafe.AsPointer(ref offsets[far]));
                    Sse.Prefetch0(Unsafe.AsPointer(ref values.WordAt(far)));
                }

                if (k + Ahead < count)
                {
                    Sse.Prefetch0(start + offsets[picked[k + Ahead]]);
                }
            }

            changed |= CopyEntry(file, start, picked[k], timestamps, collection, ref noted);
        }

        return changed;
    }

    /// <summary>Copies entry <paramref name="i"/>'s value (and timestamp) from <paramref name="start"/>; true when it changed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool CopyEntry(FileState file, byte* start, int i, bool timestamps, int collection, ref Noted noted)
    {
        byte* at = start + file.ValueOffsets[i];
        long valueBits = LittleEndian(Unsafe.ReadUnaligned<long>(at));
        long stampBits = timestamps ? LittleEndian(Unsafe.ReadUnaligned<long>(at + 8)) : 0;
        EntryValues values = file.Values;

        // Bit patterns, so a NaN that stays NaN is no change.
        double old = values[i];
        if (valueBits == BitConverter.DoubleToInt64Bits(old) && stampBits == BitConverter.DoubleToInt64Bits(file.TimestampAt(i)))
        {
            return false;
        }

        double value = BitConverter.Int64BitsToDouble(valueBits);
        values.Set(i, value);
        file.SetTimestamp(i, BitConverter.Int64BitsToDouble(stampBits));

        Note(file, i, old, value, collection, ref noted.Bits, ref noted.Changes);
        return true;
    }

    /// <summary>The bits of <paramref name="file"/>'s changed entries, with room for every entry (bits not yet taken are kept).</summary>
    private static ulong[] ChangedEntriesOf(FileState file)
    {
        int words = (file.Count + 63) >> 6;
        ulong[]? bits = file.ChangedEntries;
        if (bits is null || bits.Length < words)
        {
            var grown = new ulong[words];
            bits?.CopyTo(grown, 0);
            file.ChangedEntries = bits = grown;
        }

        return bits;
    }

    /// <summary>Notes entry <paramref name="entry"/> changed from <paramref name="old"/> to <paramref name="value"/>, once per collection.</summary>
    private static void Note(FileState file, int entry, double old, double value, int collection, ref ulong[]? bits, ref ChangedValues? changes)
    {
        if (collection == 0)
        {
            // A file read in full merges in full: only its bits are noted. Listing its old values would cost a cold
            // collection a copy of every value it reads, never read and kept for the life of the file.
            if (bits is null)
            {
                bits = ChangedEntriesOf(file);
                Array.Clear(bits);
                file.Changes?.Restart(0);
            }

            bits[entry >> 6] |= 1UL << entry;
            return;
        }

        bits ??= ChangedEntriesOf(file);
        changes ??= ChangesOf(file, collection, bits);
        ref ulong word = ref bits[entry >> 6];
        if ((word & (1UL << entry)) == 0)
        {
            // The first change in this collection: its old value is the one the last merge folded.
            word |= 1UL << entry;
            changes.Add(entry, old, value);
        }
        else
        {
            changes.Repeated = true;
        }
    }

    /// <summary>The file's list of changed entries for <paramref name="collection"/> (never 0): one of an earlier collection is started afresh, its bits cleared.</summary>
    private static ChangedValues ChangesOf(FileState file, int collection, ulong[] bits)
    {
        ChangedValues changes = file.Changes ??= new ChangedValues();
        if (changes.Collection != collection)
        {
            changes.Restart(collection);
            Array.Clear(bits);
        }

        return changes;
    }

    /// <summary>What one copy has noted so far: the file's changed-entry bits and list, once taken.</summary>
    private struct Noted
    {
        public ulong[]? Bits;
        public ChangedValues? Changes;
    }

    private static long LittleEndian(long bits) => BitConverter.IsLittleEndian ? bits : BinaryPrimitives.ReverseEndianness(bits);
}
