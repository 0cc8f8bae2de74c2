using System.Buffers;

namespace Chorus.AspNetCore.Buffers;

/// <summary>
/// The arrays one endpoint's response bodies are written into. Small ones come from the shared pool; a body of more than
/// <see cref="PooledLimit"/> bytes gets an array of about its size, and the last one given back is kept as the next
/// scrape's (a warm body is the size of the last one), so a big host holds one body-sized array between scrapes.
/// </summary>
/// <remarks>
/// The shared pool rounds a request up to a power of two and keeps what it is given for the life of the process: a
/// 26 MB body took a 32 MiB array, and the arrays the first scrape grew through (16, 8, 4 ... MiB) stayed in the pool too,
/// unused. Thread-safe: scrapes of several formats may take and give back arrays at once.
/// </remarks>
internal sealed class ResponseBuffers
{
    /// <summary>The largest array the shared pool lends and takes back.</summary>
    public const int PooledLimit = 1 << 20;

    // Large arrays are sized in steps of this, so a body that grows a little still fits the kept array.
    private const int LargeStep = 1 << 16;

    private byte[]? _spare;

    /// <summary>An array of at least <paramref name="size"/> bytes: the kept one when it fits without wasting an eighth of itself.</summary>
    public byte[] Rent(int size)
    {
        if (size <= PooledLimit)
        {
            return ArrayPool<byte>.Shared.Rent(size);
        }

        byte[]? spare = Interlocked.Exchange(ref _spare, null);
        if (spare is not null && spare.Length >= size && spare.Length - size <= spare.Length / 8)
        {
            return spare;
        }

        return GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, ((long)size + LargeStep - 1) / LargeStep * LargeStep));
    }

    /// <summary>Gives back an array from <see cref="Rent"/> (or an empty one): pooled when small, kept as the spare when large.</summary>
    public void Return(byte[] array)
    {
        if (array.Length is > 0 and <= PooledLimit)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        else if (array.Length > PooledLimit)
        {
            // The latest body is the best guess at the next one's size; an older spare is left to the GC.
            Volatile.Write(ref _spare, array);
        }
    }

    /// <summary>Lets the kept array go: the bodies to come are sent from the families' renderings and need no such array.</summary>
    public void DropSpare() => Volatile.Write(ref _spare, null);

    /// <summary>The array kept for the next large body, if any (for tests).</summary>
    internal byte[]? Spare => Volatile.Read(ref _spare);
}
