namespace Chorus.Internal;

/// <summary>A file's identity independent of its name: device and inode, stable across renames.</summary>
/// <param name="Device">The device number (major in the high 32 bits, minor in the low 32).</param>
/// <param name="Inode">The inode number.</param>
internal readonly record struct FileId(ulong Device, ulong Inode)
{
    /// <inheritdoc />
    public override string ToString() => $"{Device >> 32}:{Device & 0xFFFFFFFF}/{Inode}";
}
