using System.IO.Hashing;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// A body's parts cut into the pieces that become its gzip members (<see cref="GzipMemberCuts"/>), each with its key, for
/// <see cref="GzipMemberCache"/>: on every core for a big body, each core taking the next part not yet cut. A big host's
/// body is some 40 family renderings of up to 2 MB; on one core, cutting and hashing its 26 MB took 12 ms while the other
/// core waited. Not thread-safe: the cache calls it under its lock.
/// </summary>
/// <param name="seed">The cache's hash seed (<see cref="GzipPartKey"/>).</param>
internal sealed class GzipBodyCuts(long seed)
{
    private readonly List<(ReadOnlyMemory<byte> Part, int DataEnd)> _parts = [];
    private readonly List<List<GzipPiece>> _pieces = [];
    private int _nextToCut;

    /// <summary>How many parts were added since the last <see cref="Clear"/>.</summary>
    public int Count => _parts.Count;

    /// <summary>On how many cores the last <see cref="CutAll"/> ran.</summary>
    public int LastWorkers { get; private set; }

    /// <summary>Adds a part of the body: a whole body or one of its kept parts, with where the application's data ends in it.</summary>
    public void Add(ReadOnlyMemory<byte> part, int dataEnd) => _parts.Add((part, dataEnd));

    /// <summary>The pieces of part <paramref name="part"/>, in body order, once <see cref="CutAll"/> ran.</summary>
    public List<GzipPiece> PiecesOf(int part) => _pieces[part];

    /// <summary>Cuts and hashes every part, on up to <paramref name="cores"/> cores when they come to <paramref name="parallelBytes"/> or more.</summary>
    public void CutAll(int cores, long parallelBytes)
    {
        long bytes = 0;
        foreach ((ReadOnlyMemory<byte> part, _) in _parts)
        {
            bytes += part.Length;
        }

        while (_pieces.Count < _parts.Count)
        {
            _pieces.Add([]);
        }

        _nextToCut = 0;
        int workers = bytes >= parallelBytes ? Math.Max(1, Math.Min(cores, _parts.Count)) : 1;
        LastWorkers = workers;
        if (workers > 1)
        {
            Parallel.For(0, workers, _ => CutParts());
        }
        else
        {
            CutParts();
        }
    }

    /// <summary>Forgets the parts and pieces, so neither keeps the body's arrays alive until the next body.</summary>
    public void Clear()
    {
        _parts.Clear();
        foreach (List<GzipPiece> pieces in _pieces)
        {
            pieces.Clear();
        }
    }

    /// <summary>Cuts and hashes parts, taking the next one not taken until none is left.</summary>
    private void CutParts()
    {
        for (int i = Interlocked.Increment(ref _nextToCut) - 1; i < _parts.Count; i = Interlocked.Increment(ref _nextToCut) - 1)
        {
            (ReadOnlyMemory<byte> body, int dataEnd) = _parts[i];
            List<GzipPiece> pieces = _pieces[i];
            int start = 0;
            var cursor = default(GzipMemberCuts.Cursor);
            do
            {
                // Hashed as soon as it is cut: its bytes are still in the cache the search for the cut brought them to.
                int end = GzipMemberCuts.PartEnd(body.Span, dataEnd, start, ref cursor);
                ReadOnlyMemory<byte> piece = body[start..end];
                pieces.Add(new GzipPiece(piece, new GzipPartKey(XxHash128.HashToUInt128(piece.Span, seed), piece.Length)));
                start = end;
            }
            while (start < body.Length);
        }
    }
}

/// <summary>
/// What a part of a body is known by in <see cref="GzipMemberCache"/>: its length and its XxHash128 under a seed drawn per
/// cache (so nobody can aim at a collision, and an accidental one has odds of 2^-128).
/// </summary>
internal readonly record struct GzipPartKey(UInt128 Hash, int Length);

/// <summary>A piece of a body as cut (<see cref="GzipMemberCuts"/>), with its key.</summary>
internal readonly record struct GzipPiece(ReadOnlyMemory<byte> Bytes, GzipPartKey Key);
