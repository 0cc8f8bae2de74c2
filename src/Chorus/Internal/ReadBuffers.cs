using System.Buffers;

namespace Chorus.Internal;

/// <summary>
/// Buffers that files are read into. Small ones come from the shared pool; a buffer for a file of more than
/// <see cref="PooledLimit"/> bytes is allocated for that read and left to the GC when given back: the shared pool
/// keeps dozens of arrays per size, and a cold pass over a host whose files use megabytes each would otherwise leave
/// hundreds of megabytes of them in the pool for the life of the process.
/// </summary>
internal static class ReadBuffers
{
    /// <summary>The largest buffer the shared pool lends and takes back.</summary>
    public const int PooledLimit = 1 << 20;

    // Large buffers grow in steps of this, so a file that grows a little does not cost a new buffer per read.
    private const int LargeStep = 1 << 16;

    /// <summary>A buffer of at least <paramref name="size"/> bytes.</summary>
    public static byte[] Rent(int size) =>
        size <= PooledLimit
            ? ArrayPool<byte>.Shared.Rent(size)
            : GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, ((long)size + LargeStep - 1) / LargeStep * LargeStep));

    /// <summary>Gives back a buffer from <see cref="Rent"/> (or an empty one): pooled when small, dropped when large.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length is > 0 and <= PooledLimit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>True for a buffer that was not pooled (see <see cref="PooledLimit"/>).</summary>
    public static bool IsLarge(byte[] buffer) => buffer.Length > PooledLimit;
}
