using System.Buffers;

namespace Chorus.AspNetCore.Buffers;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one <see cref="ArrayPool{T}"/> array that grows by doubling and refuses to
/// grow past a hard maximum, so a runaway exposition fails the scrape instead of the process.
/// </summary>
/// <remarks>Not thread-safe: one instance per scrape. Dispose returns the array to the pool.</remarks>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MinimumSize = 16 * 1024;

    private readonly int _maxBytes;
    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialSize, int maxBytes)
    {
        _maxBytes = maxBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Clamp(initialSize, MinimumSize, Math.Max(MinimumSize, maxBytes)));
    }

    /// <summary>The bytes written so far.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>How many bytes were written.</summary>
    public int WrittenCount => _written;

    /// <summary>Forgets the bytes written after <paramref name="length"/>.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _written);
        _written = length;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > Capacity - _written)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer that was handed out.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written, Capacity - _written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written, Capacity - _written);
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The pool may hand out a larger array than asked for; the limit applies to what is written, not to the array.
    private int Capacity => Math.Min(_buffer.Length, _maxBytes);

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (Capacity - _written >= needed)
        {
            return;
        }

        long required = (long)_written + needed;
        if (required > _maxBytes)
        {
            throw new ResponseTooLargeException(_maxBytes);
        }

        long doubled = Math.Max((long)_buffer.Length * 2, required);
        int newSize = (int)Math.Min(doubled, _maxBytes);
        byte[] bigger = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
