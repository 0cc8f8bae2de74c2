using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Chorus.Exposition;

namespace Chorus.AspNetCore.Buffers;

/// <summary>
/// A response body as parts sent in order: runs of bytes copied into one pooled buffer, and (when keeping) large family
/// renderings taken by reference (<see cref="IKeptBytesOutput"/>), so a big host's body is never copied whole.
/// </summary>
/// <remarks>
/// Written by one collection; then read by every scrape sharing it (sent as it is, or gzipped part by part). <see cref="Dispose"/> gives the buffers back and
/// releases the renderings, whose families may then be formatted into the same buffers again.
/// </remarks>
internal sealed class SegmentedBody : IBufferWriter<byte>, IKeptBytesOutput, IDisposable
{
    private readonly PooledBufferWriter _copied;
    private readonly string _purpose;
    private readonly long _created = Stopwatch.GetTimestamp();
    private bool _disposed;
    private readonly int _maxBytes;
    private readonly List<Part> _parts = [];
    private int _copiedStart;
    private long _keptBytes;

    /// <summary>A body whose copied bytes start in a buffer of <paramref name="initialSize"/> bytes.</summary>
    /// <param name="initialSize">The size the copied bytes' buffer starts with.</param>
    /// <param name="maxBytes">The most the whole body may hold.</param>
    /// <param name="arrays">Where the buffers come from and go back to.</param>
    /// <param name="keepsBytes">Whether large renderings are taken by reference (else everything is copied).</param>
    /// <param name="purpose">What the body is for, as <see cref="ToString"/> names it (a scrape's, a preparation's).</param>
    public SegmentedBody(int initialSize, int maxBytes, ResponseBuffers arrays, bool keepsBytes, string purpose = "body")
    {
        _purpose = purpose;
        _maxBytes = maxBytes;
        KeepsBytes = keepsBytes;
        _copied = new PooledBufferWriter(initialSize, maxBytes, arrays);
    }

    /// <inheritdoc />
    public bool KeepsBytes { get; }

    /// <summary>The body's length.</summary>
    public int WrittenCount => (int)(_copied.WrittenCount + _keptBytes);

    /// <summary>How many of the bytes were copied (the rest are kept renderings).</summary>
    public int CopiedCount => _copied.WrittenCount;

    public void Advance(int count) => _copied.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0) => _copied.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => _copied.GetSpan(sizeHint);

    /// <inheritdoc />
    public void WriteKept(ReadOnlyMemory<byte> bytes, IKeptBytesLease lease, long version)
    {
        CloseCopiedRun();
        _parts.Add(new Part(bytes, lease, version));
        _keptBytes += bytes.Length;
        if (_copied.WrittenCount + _keptBytes > _maxBytes)
        {
            throw new ResponseTooLargeException(_maxBytes);
        }
    }

    /// <summary>Ends the writing: from now on the body is only read, by any number of threads.</summary>
    public void Seal() => CloseCopiedRun();

    /// <summary>
    /// The parts, in order (once <see cref="Seal"/>ed), each with its version: a kept rendering's
    /// (<see cref="IKeptBytesOutput.WriteKept"/>), 0 for copied bytes.
    /// </summary>
    public IEnumerable<(ReadOnlyMemory<byte> Bytes, long Version)> Parts()
    {
        foreach (Part part in _parts)
        {
            yield return part.Lease is null ? (_copied.WrittenMemory[part.From..part.To], 0) : (part.Kept, part.Version);
        }
    }

    /// <summary>Whether the body (once <see cref="Seal"/>ed) ends with <paramref name="suffix"/>.</summary>
    public bool EndsWith(ReadOnlySpan<byte> suffix)
    {
        int remaining = suffix.Length;
        for (int i = _parts.Count - 1; i >= 0 && remaining > 0; i--)
        {
            ReadOnlySpan<byte> part = PartSpan(_parts[i]);
            int take = Math.Min(remaining, part.Length);
            if (!part[^take..].SequenceEqual(suffix.Slice(remaining - take, take)))
            {
                return false;
            }

            remaining -= take;
        }

        return remaining == 0;
    }

    /// <summary>What the body is for, how long ago it was made, and whether it was disposed (found holding a rendering).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{_purpose} made {Stopwatch.GetElapsedTime(_created).TotalMilliseconds:F0} ms ago{(Volatile.Read(ref _disposed) ? ", disposed" : "")}");

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        foreach (Part part in _parts)
        {
            part.Lease?.Release();
        }

        _parts.Clear();
        _keptBytes = 0;
        _copiedStart = 0;
        _copied.Dispose();
    }

    private ReadOnlySpan<byte> PartSpan(Part part) => part.Lease is null ? _copied.WrittenSpan[part.From..part.To] : part.Kept.Span;

    // Ends the run of copied bytes written since the last part, as a part of its own.
    private void CloseCopiedRun()
    {
        if (_copied.WrittenCount > _copiedStart)
        {
            _parts.Add(new Part(default, null, 0, _copiedStart, _copied.WrittenCount));
            _copiedStart = _copied.WrittenCount;
        }
    }

    /// <summary>A kept rendering (with its lease and version), or the copied bytes from <c>From</c> to <c>To</c> (no lease).</summary>
    private readonly record struct Part(ReadOnlyMemory<byte> Kept, IKeptBytesLease? Lease, long Version, int From = 0, int To = 0);
}
