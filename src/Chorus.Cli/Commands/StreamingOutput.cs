using System.Buffers;

namespace Chorus.Cli.Commands;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that passes what is written to a stream in blocks of a fixed buffer, so printing
/// an exposition needs neither a buffer of its whole size (26 MB on a big host) nor the copies of growing one.
/// </summary>
/// <remarks>Not thread-safe. Nothing reaches the stream before the buffer fills or <see cref="Flush"/> is called.</remarks>
internal sealed class StreamingOutput(Stream stream, int bufferSize = StreamingOutput.DefaultBufferSize) : IBufferWriter<byte>
{
    public const int DefaultBufferSize = 1 << 20;

    private byte[] _buffer = new byte[bufferSize];
    private int _written;

    /// <summary>Bytes handed to the stream so far (not counting those still buffered).</summary>
    public long Flushed { get; private set; }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Writes the buffered bytes to the stream.</summary>
    public void Flush()
    {
        if (_written > 0)
        {
            stream.Write(_buffer, 0, _written);
            Flushed += _written;
            _written = 0;
        }
    }

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        Flush();
        if (needed > _buffer.Length)
        {
            // A single request bigger than the buffer (a writer asking for room for one long line).
            _buffer = new byte[needed];
        }
    }
}
