namespace Chorus.Aggregation;

/// <summary>
/// Where the values of one key go, shared by every file that holds the key. The slot it resolves to without a pid is
/// cached, so a warm collection merges without any lookup; slots that carry a gauge file's pid are cached by that file
/// (<see cref="FileState.PidSlots"/>).
/// </summary>
/// <remarks>
/// It caches one slot, not one per way of resolving it: which <see cref="SlotRoute"/> applies depends on the family's type
/// and gauge mode, which change rarely, and a change costs one lookup.
/// </remarks>
internal sealed class EntryTarget(ParsedKey key)
{
    private SeriesSlot? _slot;
    private SlotRoute _route;

    public ParsedKey Key { get; } = key;

    /// <summary>The key's family, kept here too so a changed entry finds it with one load less (<see cref="ChangedSlots"/>).</summary>
    public FamilyState Family { get; } = key.Family;

    /// <summary>The slot cached for whichever route (only to prefetch it).</summary>
    public SeriesSlot? CachedSlot => _slot;

    /// <summary>The slot cached for <paramref name="route"/>; null when none is (never for <see cref="SlotRoute.PerFile"/>).</summary>
    public SeriesSlot? Cached(SlotRoute route) => _route == route ? _slot : null;

    /// <summary>Caches <paramref name="slot"/> as the one for <paramref name="route"/> (forgetting any other).</summary>
    public void Cache(SlotRoute route, SeriesSlot slot)
    {
        _route = route;
        _slot = slot;
    }
}
