using System.Buffers;
using System.Runtime.InteropServices;
using Chorus.Internal;

namespace Chorus.AspNetCore.Buffers;

/// <summary>
/// A block of memory outside the managed heap, handed out as <see cref="Memory{T}"/> and given back to the system by
/// <see cref="Free"/> as soon as its owner knows nothing reads it any more, or by the finalizer once nothing can.
/// </summary>
/// <remarks>
/// The garbage collector gives an array back only after a full collection finds it dead, and megabyte arrays that live
/// for a scrape or two sit on the large object heap until then, dead or as free room the process keeps: on the
/// GitLab-sized host three reused gzip run arrays held 18 MB for a 6 MB body, and the heap held 17 MB of dead arrays
/// between scrapes (docs/benchmarks.md). On Linux a block of 64 KiB or more is its own private anonymous mapping, unmapped when freed:
/// from the C heap (<c>malloc</c>) freed blocks of megabytes merged into the top of a thread's arena, which glibc keeps,
/// and 20 MB stayed in the process. Smaller blocks, and every block elsewhere, come from <see cref="NativeMemory"/>. A
/// <see cref="Memory{T}"/> made from it keeps this object alive, so a block its owner never freed is freed only once
/// nothing can reach it.
/// </remarks>
internal sealed unsafe class NativeBuffer : MemoryManager<byte>
{
    private const int ProtectReadWrite = 0x1 | 0x2;
    private const int MapPrivateAnonymous = 0x02 | 0x20;

    // Smaller blocks (the few members a body carries out of old blocks) come from the C heap: a mapping is whole pages.
    private const int LeastMappedLength = 64 * 1024;

    private readonly int _length;
    private readonly bool _mapped;
    private byte* _pointer;

    /// <summary>A block of <paramref name="length"/> bytes, not cleared.</summary>
    public NativeBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _length = length;
        if (OperatingSystem.IsLinux() && length >= LeastMappedLength)
        {
            void* mapped = Libc.Mmap(null, (nuint)length, ProtectReadWrite, MapPrivateAnonymous, -1, 0);
            if (mapped == (void*)-1)
            {
                throw new InsufficientMemoryException($"Could not map {length} bytes for a gzip body (errno {Marshal.GetLastPInvokeError()}).");
            }

            _pointer = (byte*)mapped;
            _mapped = true;
        }
        else
        {
            _pointer = (byte*)NativeMemory.Alloc((nuint)length);
        }
    }

    // Every span over a block is taken from a Memory<byte> that a gzip body or member keeps reachable while the span is
    // used (GzipRunBuffers), so the finalizer runs only once no member of any body slices the block.
#pragma warning disable CA2015
    ~NativeBuffer() => Dispose(false);
#pragma warning restore CA2015

    /// <summary>How many bytes the block holds.</summary>
    public int Length => _length;

    /// <summary>Whether the block was given back (for tests).</summary>
    internal bool IsFreed => _pointer == null;

    /// <inheritdoc/>
    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer == null, this);
        return new Span<byte>(_pointer, _length);
    }

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_pointer == null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length, nameof(elementIndex));
        return new MemoryHandle(_pointer + elementIndex);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <summary>Gives the block back now: the caller knows nothing reads it any more.</summary>
    public void Free() => ((IDisposable)this).Dispose();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        // Once only, whichever of Free and the finalizer comes first.
        byte* pointer = _pointer;
        _pointer = null;
        if (pointer == null)
        {
            return;
        }

        if (_mapped)
        {
            _ = Libc.Munmap(pointer, (nuint)_length);
        }
        else
        {
            NativeMemory.Free(pointer);
        }
    }
}
