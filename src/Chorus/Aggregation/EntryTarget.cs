namespace Chorus.Aggregation;

/// <summary>
/// Where the values of one key go, shared by every file that holds the key. The slot it resolves to without a pid is
/// cached, so a warm collection merges without any lookup; slots that carry a gauge file's pid are cached by that file
/// (<see cref="FileState.PidSlots"/>).
/// </summary>
/// <remarks>
/// It caches one slot, not one per way of resolving it: which of <see cref="Fixed"/>, <see cref="KeepPid"/> and
/// <see cref="DropPid"/> applies depends on the family's type and gauge mode, which change rarely, and a change costs one
/// lookup.
/// </remarks>
internal sealed class EntryTarget(ParsedKey key)
{
    private SeriesSlot? _slot;
    private SlotKind _slotKind;

    private enum SlotKind : byte
    {
        Fixed,
        KeepPid,
        DropPid,
    }

    public ParsedKey Key { get; } = key;

    /// <summary>The slot for non-gauge families, in files without a pid.</summary>
    public SeriesSlot? Fixed
    {
        get => Cached(SlotKind.Fixed);
        set => Cache(SlotKind.Fixed, value);
    }

    /// <summary>The slot for gauge modes that keep one series per process, in files without a pid.</summary>
    public SeriesSlot? KeepPid
    {
        get => Cached(SlotKind.KeepPid);
        set => Cache(SlotKind.KeepPid, value);
    }

    /// <summary>The slot for gauge modes that merge processes.</summary>
    public SeriesSlot? DropPid
    {
        get => Cached(SlotKind.DropPid);
        set => Cache(SlotKind.DropPid, value);
    }

    private SeriesSlot? Cached(SlotKind kind) => _slotKind == kind ? _slot : null;

    private void Cache(SlotKind kind, SeriesSlot? slot)
    {
        _slotKind = kind;
        _slot = slot;
    }
}
