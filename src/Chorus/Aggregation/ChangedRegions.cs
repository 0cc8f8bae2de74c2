using System.Buffers;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// The warm refresh of a kept file whose change map a writer holds (<see cref="ChangeMapWatch"/>, docs/change-map.md):
/// only the entries whose values lie in regions whose word moved are compared, each region marked seen before its values
/// are read.
/// </summary>
internal static class ChangedRegions
{
    /// <summary>As <see cref="ValueRefresh.CopyValues"/>, for the regions <paramref name="map"/> says may have changed.</summary>
    public static unsafe bool Copy(FileState file, ReadOnlySpan<byte> data, ChangeMapWatch map, int collection)
    {
        if (!ValueRefresh.CheckBounds(file, data))
        {
            return false;
        }

        int[] picked = ArrayPool<int>.Shared.Rent(file.Count);
        try
        {
            int count = Pick(file.ValueOffsets, file.Count, ChangeMapFormat.RegionsFor(data.Length), map, picked);
            fixed (byte* start = data)
            {
                return ValueRefresh.CopyPicked(file, start, picked, count, collection);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(picked);
        }
    }

    /// <summary>
    /// Marks every changed region seen and lists its entries (those whose value offset lies in it) into
    /// <paramref name="picked"/>, in file order; returns how many. All marks come before any value is read.
    /// </summary>
    private static int Pick(int[] offsets, int entries, int regions, ChangeMapWatch map, int[] picked)
    {
        int count = 0;
        int entry = 0;
        for (int region = map.NextChanged(0, regions); region < regions && entry < entries; region = map.NextChanged(region + 1, regions))
        {
            map.MarkSeen(region);
            entry = FirstAtOrAfter(offsets, entry, entries, region << ChangeMapFormat.RegionShift);
            int end = region + 1 << ChangeMapFormat.RegionShift;
            while (entry < entries && offsets[entry] < end)
            {
                picked[count++] = entry++;
            }
        }

        return count;
    }

    /// <summary>
    /// The first of entries <paramref name="from"/> to <paramref name="to"/> whose value lies at or after
    /// <paramref name="offset"/>: galloping from <paramref name="from"/>, since changed regions come in order and usually
    /// a few dozen entries apart, then a binary search within the last step.
    /// </summary>
    private static int FirstAtOrAfter(int[] offsets, int from, int to, int offset)
    {
        int step = 1;
        int low = from;
        while (low + step < to && offsets[low + step] < offset)
        {
            low += step;
            step <<= 1;
        }

        int high = Math.Min(to, low + step);
        int index = Array.BinarySearch(offsets, low, high - low, offset);
        return index >= 0 ? index : ~index;
    }
}
