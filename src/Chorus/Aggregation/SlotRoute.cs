namespace Chorus.Aggregation;

/// <summary>
/// Where the merge finds the slot of an entry's value (<see cref="MergeRules.RouteOf"/>): it follows from the family's type
/// and gauge mode and whether the file has a pid, so it is decided once per run of a family's entries in a file.
/// </summary>
internal enum SlotRoute : byte
{
    /// <summary>A non-gauge family in a file without a pid: the key's target caches the slot.</summary>
    Fixed,

    /// <summary>A gauge mode that keeps one series per process, in a file without a pid: the key's target caches the slot.</summary>
    KeepPid,

    /// <summary>A gauge mode that merges processes: the key's target caches the slot (the key's labels without <c>pid</c>).</summary>
    DropPid,

    /// <summary>A slot carrying the file's pid: the file caches it per entry (<see cref="FileState.PidSlots"/>).</summary>
    PerFile,
}
