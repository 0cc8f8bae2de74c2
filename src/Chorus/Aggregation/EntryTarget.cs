namespace Chorus.Aggregation;

/// <summary>
/// Where the value of one file entry goes: a key plus, for gauge files, the file's pid. The slot it
/// resolves to is cached, so a warm collection merges without any lookup.
/// </summary>
/// <remarks>
/// One target exists per gauge entry and pid (hundreds of thousands on a big host), so it caches one slot, not one per
/// way of resolving it: which of <see cref="Fixed"/>, <see cref="KeepPid"/> and <see cref="DropPid"/> applies depends on
/// the family's type and gauge mode, which change rarely, and a change costs one lookup.
/// </remarks>
internal sealed class EntryTarget(ParsedKey key, string? pid)
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

    /// <summary>The file identity for entries of gauge files (the <c>pid</c> label); null otherwise.</summary>
    public string? Pid { get; } = pid;

    /// <summary>The slot for non-gauge families.</summary>
    public SeriesSlot? Fixed
    {
        get => Cached(SlotKind.Fixed);
        set => Cache(SlotKind.Fixed, value);
    }

    /// <summary>The slot for gauge modes that keep one series per process.</summary>
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

    /// <summary>The last collection that merged an entry through this target (for pruning).</summary>
    public int LastUsed { get; set; }

    private SeriesSlot? Cached(SlotKind kind) => _slotKind == kind ? _slot : null;

    private void Cache(SlotKind kind, SeriesSlot? slot)
    {
        _slotKind = kind;
        _slot = slot;
    }
}
