using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Chorus.Aggregation;

/// <summary>
/// A label group's slots of one kind (samples or buckets) in their output order: one slot held as itself, more in an
/// array of exactly their number, not a <see cref="List{T}"/>. A host has a label group per output series (hundreds of
/// thousands, most with one sample and no bucket): a list object per kind with its growth from four cost more than the
/// slots, an array for the one slot 8 MiB of a GitLab-sized host's heap, and a count beside each run 4 MiB
/// (docs/benchmarks.md). Groups with several slots (a histogram's) get them once and keep them, so an insertion that
/// copies the array costs nothing that matters.
/// </summary>
/// <remarks>A mutable struct: use it only through a reference to its owner's field (<see cref="LabelGroup.Samples"/>).</remarks>
internal struct SlotRun
{
    // Null, the one slot (a SeriesSlot), or an array of two or more slots (SeriesSlot[]), exactly as long as the run.
    private object? _slots;

    /// <summary>How many slots the run holds.</summary>
    public readonly int Count => _slots switch
    {
        null => 0,
        SeriesSlot[] slots => slots.Length,
        _ => 1,
    };

    /// <summary>The slot at <paramref name="index"/> (below <see cref="Count"/>).</summary>
    public readonly SeriesSlot this[int index] =>
        _slots is SeriesSlot[] slots ? slots[index] : index == 0 && _slots is not null ? Unsafe.As<SeriesSlot>(_slots) : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The slots, in order.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<SeriesSlot> AsSpan()
    {
        if (_slots is SeriesSlot[] array)
        {
            return array;
        }

        // The one slot (or none): a span over the field itself, which the run's owner holds.
        return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<object?, SeriesSlot>(ref Unsafe.AsRef(in _slots)), _slots is null ? 0 : 1);
    }

    /// <summary>Inserts <paramref name="slot"/> at <paramref name="index"/>; a second slot makes an array of two, each later one an array one longer.</summary>
    public void Insert(int index, SeriesSlot slot)
    {
        if (_slots is null)
        {
            _slots = slot;
            return;
        }

        ReadOnlySpan<SeriesSlot> slots = AsSpan();
        var grown = new SeriesSlot[slots.Length + 1];
        slots[..index].CopyTo(grown);
        grown[index] = slot;
        slots[index..].CopyTo(grown.AsSpan(index + 1));
        _slots = grown;
    }

    /// <summary>Removes the slot at <paramref name="index"/>.</summary>
    public void RemoveAt(int index)
    {
        if (_slots is not SeriesSlot[] slots)
        {
            _slots = null;
            return;
        }

        if (slots.Length == 2)
        {
            _slots = slots[1 - index];
            return;
        }

        var shrunk = new SeriesSlot[slots.Length - 1];
        slots.AsSpan(0, index).CopyTo(shrunk);
        slots.AsSpan(index + 1).CopyTo(shrunk.AsSpan(index));
        _slots = shrunk;
    }
}
