using System.Buffers;

namespace Chorus.AspNetCore.Buffers;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one <see cref="ArrayPool{T}"/> array (or, with <see cref="ResponseBuffers"/>, one
/// of an endpoint's body-sized arrays) that grows by doubling and refuses to grow past a hard maximum, so a runaway
/// exposition fails the scrape instead of the process.
/// </summary>
/// <remarks>Not thread-safe: one instance per scrape. Dispose gives the array back.</remarks>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MinimumSize = 16 * 1024;

    private readonly int _maxBytes;
    private readonly ResponseBuffers? _arrays;
    private byte[] _buffer;
    private int _written;

    /// <summary>A writer over an array of at least <paramref name="initialSize"/> bytes.</summary>
    /// <param name="initialSize">The size to start with.</param>
    /// <param name="maxBytes">The most that may be written.</param>
    /// <param name="arrays">Where the arrays come from and go back to; null for the shared pool.</param>
    public PooledBufferWriter(int initialSize, int maxBytes, ResponseBuffers? arrays = null)
    {
        _maxBytes = maxBytes;
        _arrays = arrays;
        _buffer = Rent(Math.Clamp(initialSize, MinimumSize, Math.Max(MinimumSize, maxBytes)));
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
            Return(buffer);
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
        byte[] bigger = Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        Return(_buffer);
        _buffer = bigger;
    }

    private byte[] Rent(int size) => _arrays?.Rent(size) ?? ArrayPool<byte>.Shared.Rent(size);

    private void Return(byte[] array)
    {
        if (_arrays is not null)
        {
            _arrays.Return(array);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
