namespace Chorus.Aggregation;

/// <summary>
/// A label group's slots of one kind (samples or buckets) in their output order: an array sized to what the group holds,
/// not a <see cref="List{T}"/>. A host has a label group per output series (hundreds of thousands, most with one
/// sample and no bucket), and a list object per kind with its growth from four cost more than the slots.
/// </summary>
/// <remarks>A mutable struct: use it only through a reference to its owner's field (<see cref="LabelGroup.Samples"/>).</remarks>
internal struct SlotRun
{
    private SeriesSlot[]? _slots;

    /// <summary>How many slots the run holds.</summary>
    public int Count { get; private set; }

    /// <summary>The slot at <paramref name="index"/> (below <see cref="Count"/>).</summary>
    public readonly SeriesSlot this[int index] => _slots![index];

    /// <summary>The slots, in order.</summary>
    public readonly ReadOnlySpan<SeriesSlot> AsSpan() => new(_slots, 0, Count);

    /// <summary>Inserts <paramref name="slot"/> at <paramref name="index"/>, growing the array by doubling from one.</summary>
    public void Insert(int index, SeriesSlot slot)
    {
        if (_slots is null || Count == _slots.Length)
        {
            var grown = new SeriesSlot[Math.Max(1, Count * 2)];
            if (_slots is not null)
            {
                Array.Copy(_slots, grown, Count);
            }

            _slots = grown;
        }

        Array.Copy(_slots, index, _slots, index + 1, Count - index);
        _slots[index] = slot;
        Count++;
    }

    /// <summary>Removes the slot at <paramref name="index"/>.</summary>
    public void RemoveAt(int index)
    {
        Count--;
        Array.Copy(_slots!, index + 1, _slots!, index, Count - index);
        _slots![Count] = null!;
    }
}
