using System.Collections;

namespace Chorus.Files;

/// <summary>
/// The keys a removal sidecar lists (<see cref="DbRemovedKeys"/>), and, when the sidecar names one, the inode of the file
/// they were removed from.
/// </summary>
/// <remarks>
/// A new owner of a slot rewrites a file without its removed series and keeps them listed for readers still on the old
/// file: naming that file's inode keeps the list off the new file, where the new owner (a Python worker through
/// <c>chorus_slot.py</c> as well as a .NET one) may make one of those series again. A list that names no file (an
/// owner's own removals, or a sidecar written before inodes were named) applies to whatever file has the name.
/// </remarks>
/// <param name="keys">The keys exactly as stored.</param>
/// <param name="inode">The inode of the file the keys were removed from; null when the sidecar names none.</param>
internal sealed class RemovedKeyList(IReadOnlyList<byte[]> keys, ulong? inode) : IReadOnlyList<byte[]>
{
    /// <summary>A sidecar that is absent or not one: nothing is removed.</summary>
    public static RemovedKeyList None { get; } = new([], null);

    /// <summary>The inode of the file the keys were removed from; null when the sidecar names none.</summary>
    public ulong? Inode { get; } = inode;

    /// <inheritdoc/>
    public int Count => keys.Count;

    /// <inheritdoc/>
    public byte[] this[int index] => keys[index];

    /// <summary>True when the keys are removed from the file with inode <paramref name="fileInode"/>.</summary>
    public bool AppliesTo(ulong fileInode) => Inode is not { } named || named == fileInode;

    /// <inheritdoc/>
    public IEnumerator<byte[]> GetEnumerator() => keys.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
