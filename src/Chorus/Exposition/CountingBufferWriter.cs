using System.Buffers;

namespace Chorus.Exposition;

/// <summary>Passes writes on to another <see cref="IBufferWriter{T}"/> and counts the bytes written through it.</summary>
/// <param name="inner">Where the bytes go.</param>
internal sealed class CountingBufferWriter(IBufferWriter<byte> inner) : IBufferWriter<byte>
{
    /// <summary>The bytes written through this writer.</summary>
    public int Written { get; private set; }

    public void Advance(int count)
    {
        inner.Advance(count);
        Written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
}
