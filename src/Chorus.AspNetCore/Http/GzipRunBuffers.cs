namespace Chorus.AspNetCore.Http;

/// <summary>
/// The arrays that hold runs of new gzip members (<see cref="GzipMemberCache"/>), reused from body to body. On a host
/// whose writers all change values between scrapes every member is new, and a fresh array per run per scrape (megabytes,
/// on the large object heap) made the scrape pay for full garbage collections: about 5 % of the GitLab-sized host's
/// serving time was the collector marking its heap, started by those allocations (docs/benchmarks.md).
/// </summary>
/// <remarks>
/// An array is reused only when the last body's members (the ones kept for the next body) do not slice it and no
/// response that sends it is still in flight (<see cref="Lease"/>, <see cref="Release"/>). Not thread-safe: the cache
/// calls it under its lock.
/// </remarks>
internal sealed class GzipRunBuffers
{
    // A response that never released its arrays (it failed between the two calls) stops holding them after this many bodies.
    private const long ForgottenAfterBodies = 64;

    // A free array no body took for this many bodies (a server makes two a scrape, with its preparation) is let go: one
    // sized for bodies unlike the later ones (the first, whose members' size was a guess, and the array its members
    // outgrew) would otherwise be held for good. Bodies that all change take their arrays every other body; at 32 the
    // first body's array (5.8 MB on the GitLab-sized host) was still held sixteen scrapes in, while at 8 bodies whose
    // sizes vary let go of arrays they took again a few bodies later (GzipMemberCacheTests).
    private const long UnusedAfterBodies = 12;


    private readonly List<GzipRunBuffer> _buffers = [];
    private readonly int _spare;
    private long _body;

    /// <param name="spare">How many unused arrays to keep for later bodies (one per run a body compresses at once).</param>
    public GzipRunBuffers(int spare) => _spare = spare;

    /// <summary>How many arrays are held (for tests).</summary>
    internal int Count => _buffers.Count;

    /// <summary>An array of at least <paramref name="length"/> bytes that nothing uses, the smallest one; a new one when none is.</summary>
    public GzipRunBuffer Take(int length)
    {
        GzipRunBuffer? best = null;
        foreach (GzipRunBuffer buffer in _buffers)
        {
            if (buffer.IsFree && buffer.Bytes.Length >= length && (best is null || buffer.Bytes.Length < best.Bytes.Length))
            {
                best = buffer;
            }
        }

        if (best is null)
        {
            // Some room, so a body a little larger than the last still fits.
            best = new GzipRunBuffer(GC.AllocateUninitializedArray<byte>(length + (length / 8)));
            _buffers.Add(best);
        }

        best.Kept = true;
        best.TakenForBody = true;
        best.LastBody = _body + 1;
        return best;
    }

    /// <summary>
    /// Ends a body whose members slice <paramref name="used"/>: those arrays are kept (and leased to the body's response),
    /// every other is free once no response holds it. Returns the lease, for <see cref="Release"/>.
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

        int spare = 0;
        _buffers.RemoveAll(buffer => buffer.IsFree
            ? ++spare > _spare || _body - buffer.LastBody > UnusedAfterBodies
            : !buffer.Kept && _body - buffer.LastBody > ForgottenAfterBodies);
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

/// <summary>One array of <see cref="GzipRunBuffers"/>: the members of a run slice it.</summary>
internal sealed class GzipRunBuffer(byte[] bytes)
{
    public byte[] Bytes { get; } = bytes;

    /// <summary>Whether the last body's members slice it.</summary>
    public bool Kept { get; set; }

    /// <summary>Whether the body being compressed took it (<see cref="GzipRunBuffers.Take"/>), until that body ends.</summary>
    public bool TakenForBody { get; set; }

    /// <summary>Responses sending it that have not released it yet.</summary>
    public int Responses { get; set; }

    /// <summary>The last body that used it.</summary>
    public long LastBody { get; set; }

    public bool IsFree => !Kept && Responses <= 0;
}
