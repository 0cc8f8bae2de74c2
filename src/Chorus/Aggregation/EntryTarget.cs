namespace Chorus.Aggregation;

/// <summary>
/// Where the value of one file entry goes: a key plus, for gauge files, the file's pid. The slots it
/// resolves to are cached, so a warm collection merges without any lookup.
/// </summary>
internal sealed class EntryTarget(ParsedKey key, string? pid)
{
    public ParsedKey Key { get; } = key;

    /// <summary>The file identity for entries of gauge files (the <c>pid</c> label); null otherwise.</summary>
    public string? Pid { get; } = pid;

    /// <summary>The slot for non-gauge families.</summary>
    public SeriesSlot? Fixed { get; set; }

    /// <summary>The slot for gauge modes that keep one series per process.</summary>
    public SeriesSlot? KeepPid { get; set; }

    /// <summary>The slot for gauge modes that merge processes.</summary>
    public SeriesSlot? DropPid { get; set; }

    /// <summary>The last collection that merged an entry through this target (for pruning).</summary>
    public int LastUsed { get; set; }
}
