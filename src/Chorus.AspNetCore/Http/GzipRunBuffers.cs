using Chorus.AspNetCore.Buffers;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// The blocks that hold runs of new gzip members (<see cref="GzipMemberCache"/>): taken outside the managed heap for a body and
/// given back as soon as no body keeps them and no response sends them (<see cref="NativeBuffer"/>).
/// </summary>
/// <remarks>
/// Runs used to be arrays reused from body to body, since a fresh array per run per scrape (megabytes, on the large
/// object heap) made the scrape pay for full garbage collections. Reuse held them, though: on the GitLab-sized host,
/// whose writers all change values between scrapes, three arrays of about 6 MB (the last body's, the next preparation's,
/// and the one a scrape's few new members took) and two dead ones, 29 MB for a 6 MB body (docs/benchmarks.md). A block
/// outside the managed heap costs the collector nothing, so a free one is given back at the end of the next body instead of being kept,
/// and a body takes one sized for it. Not thread-safe: the cache calls it under its lock.
/// </remarks>
internal sealed class GzipRunBuffers
{
    // A response that never released its blocks (it failed between the two calls) stops holding them after this many
    // bodies; they are given back once nothing can reach them (the finalizer), never while it might still send them.
    private const long ForgottenAfterBodies = 64;

    private readonly List<GzipRunBuffer> _buffers = [];
    private long _body;

    /// <summary>How many blocks are held (for tests).</summary>
    internal int Count => _buffers.Count;

    /// <summary>How many bytes the blocks held take (for tests).</summary>
    internal long Bytes => _buffers.Sum(buffer => (long)buffer.Length);

    /// <summary>
    /// A block of at least <paramref name="length"/> bytes that nothing uses: the smallest one a response released since
    /// the last body ended, else a new one.
    /// </summary>
    public GzipRunBuffer Take(int length)
    {
        GzipRunBuffer? best = null;
        foreach (GzipRunBuffer buffer in _buffers)
        {
            if (buffer.IsFree && buffer.Length >= length && (best is null || buffer.Length < best.Length))
            {
                best = buffer;
            }
        }

        if (best is null)
        {
            // Some room, so a body a little larger than the last still fits.
            best = new GzipRunBuffer(length + (length / 8));
            _buffers.Add(best);
        }

        best.Kept = true;
        best.TakenForBody = true;
        best.LastBody = _body + 1;
        return best;
    }

    /// <summary>
    /// Ends a body whose members slice <paramref name="used"/>: those blocks are kept (and leased to the body's response),
    /// every other is given back once no response holds it. Returns the lease, for <see cref="Release"/>.
    /// </summary>
    public GzipRunBuffer[] Lease(HashSet<GzipRunBuffer> used)
    {
        _body++;
        foreach (GzipRunBuffer buffer in _buffers)
        {
            buffer.TakenForBody = false;
            buffer.Kept = used.Contains(buffer);
            if (buffer.Kept)
            {
                buffer.Responses++;
                buffer.LastBody = _body;
            }
        }

        _buffers.RemoveAll(buffer =>
        {
            if (buffer.IsFree)
            {
                buffer.Dispose();
                return true;
            }

            return !buffer.Kept && _body - buffer.LastBody > ForgottenAfterBodies;
        });
        return [.. used];
    }

    /// <summary>The response that sent a body's members is done with <paramref name="lease"/>.</summary>
    public static void Release(GzipRunBuffer[] lease)
    {
        foreach (GzipRunBuffer buffer in lease)
        {
            buffer.Responses--;
        }
    }
}

/// <summary>One block of <see cref="GzipRunBuffers"/>: the members of a run slice it.</summary>
internal sealed class GzipRunBuffer(int length) : IDisposable
{
    private readonly NativeBuffer _block = new(length);

    /// <summary>How many bytes the block holds.</summary>
    public int Length => _block.Length;

    /// <summary>Whether the block was given back (for tests).</summary>
    internal bool IsFreed => _block.IsFreed;

    /// <summary>Whether the last body's members slice it.</summary>
    public bool Kept { get; set; }

    /// <summary>Whether the body being compressed took it (<see cref="GzipRunBuffers.Take"/>), until that body ends.</summary>
    public bool TakenForBody { get; set; }

    /// <summary>Responses sending it that have not released it yet.</summary>
    public int Responses { get; set; }

    /// <summary>The last body that used it.</summary>
    public long LastBody { get; set; }

    public bool IsFree => !Kept && Responses <= 0;

    /// <summary>The block's bytes from <paramref name="start"/> on, to write a member into.</summary>
    public Span<byte> SpanFrom(int start) => _block.GetSpan()[start..];

    /// <summary>A member's bytes: <paramref name="length"/> of them from <paramref name="start"/>.</summary>
    public ReadOnlyMemory<byte> Slice(int start, int length) => _block.Memory.Slice(start, length);

    /// <summary>Gives the block back: no body keeps it and no response sends it.</summary>
    public void Dispose() => _block.Free();
}
