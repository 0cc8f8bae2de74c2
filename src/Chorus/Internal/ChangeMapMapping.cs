using Chorus.Files;

namespace Chorus.Internal;

/// <summary>
/// A whole change map (<see cref="ChangeMapFormat.FileLength"/> bytes) mapped shared for reading and writing: how the
/// writer bumps words and a reader marks them, so both sides see the same pages.
/// </summary>
internal static unsafe class ChangeMapMapping
{
    private const int ProtectReadWrite = 3;
    private const int MapShared = 1;

    /// <summary>Maps the map open on <paramref name="fd"/>; null when <c>mmap</c> fails.</summary>
    public static byte* TryMap(int fd)
    {
        void* mapped = Libc.Mmap(null, (nuint)ChangeMapFormat.FileLength, ProtectReadWrite, MapShared, fd, 0);
        return mapped == (void*)-1 ? null : (byte*)mapped;
    }

    /// <summary>Unmaps what <see cref="TryMap"/> returned.</summary>
    public static void Unmap(byte* mapped) => _ = Libc.Munmap(mapped, (nuint)ChangeMapFormat.FileLength);
}
