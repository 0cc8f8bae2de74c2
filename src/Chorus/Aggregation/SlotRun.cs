using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Chorus.Aggregation;

/// <summary>
/// A label group's slots of one kind (samples or buckets) in their output order: one slot held as itself, more in an
/// array sized to what the group holds, not a <see cref="List{T}"/>. A host has a label group per output series (hundreds
/// of thousands, most with one sample and no bucket): a list object per kind with its growth from four cost more than
/// the slots, and an array for the one slot 8 MiB of a GitLab-sized host's heap (docs/benchmarks.md).
/// </summary>
/// <remarks>A mutable struct: use it only through a reference to its owner's field (<see cref="LabelGroup.Samples"/>).</remarks>
internal struct SlotRun
{
    // Null, the one slot (a SeriesSlot), or an array of slots (SeriesSlot[]) once a second one came.
    private object? _slots;

    /// <summary>How many slots the run holds.</summary>
    public int Count { get; private set; }

    /// <summary>The slot at <paramref name="index"/> (below <see cref="Count"/>).</summary>
    public readonly SeriesSlot this[int index] =>
        _slots is SeriesSlot[] slots ? slots[index] : index == 0 && Count == 1 ? Unsafe.As<SeriesSlot>(_slots!) : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The slots, in order.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<SeriesSlot> AsSpan()
    {
        if (_slots is SeriesSlot[] array)
        {
            return new(array, 0, Count);
        }

        // The one slot (or none): a span over the field itself, which the run's owner holds.
        return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<object?, SeriesSlot>(ref Unsafe.AsRef(in _slots)), Count);
    }

    /// <summary>Inserts <paramref name="slot"/> at <paramref name="index"/>; a second slot makes an array of two, which grows by doubling.</summary>
    public void Insert(int index, SeriesSlot slot)
    {
        if (_slots is null)
        {
            _slots = slot;
            Count = 1;
            return;
        }

        if (_slots is not SeriesSlot[] slots)
        {
            slots = [(SeriesSlot)_slots, null!];
            _slots = slots;
        }
        else if (Count == slots.Length)
        {
            var grown = new SeriesSlot[Math.Max(2, Count * 2)];
            Array.Copy(slots, grown, Count);
            slots = grown;
            _slots = slots;
        }

        Array.Copy(slots, index, slots, index + 1, Count - index);
        slots[index] = slot;
        Count++;
    }

    /// <summary>Removes the slot at <paramref name="index"/>.</summary>
    public void RemoveAt(int index)
    {
        Count--;
        if (_slots is SeriesSlot[] slots)
        {
            Array.Copy(slots, index + 1, slots, index, Count - index);
            slots[Count] = null!;
        }
        else
        {
            _slots = null;
        }
    }
}
