using System.IO.Hashing;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// A body's parts cut into the pieces that become its gzip members (<see cref="GzipMemberCuts"/>), each with its key, for
/// <see cref="GzipMemberCache"/>: on every core for a big body, each core taking the next part not yet cut. A big host's
/// body is some 40 family renderings of up to 2 MB; on one core, cutting and hashing its 26 MB took 12 ms while the other
/// core waited. A part with a version (a kept family rendering, <see cref="Chorus.Exposition.IKeptBytesOutput.WriteKept"/>)
/// that the last body had too is not cut nor hashed again: it has the same bytes, so the same pieces. At 50,000 dead
/// files that spared each scrape a pass over 2.9 MB that 5 s of idling had left cold. Not thread-safe: the cache calls
/// it under its lock.
/// </summary>
/// <param name="seed">The cache's hash seed (<see cref="GzipPartKey"/>).</param>
internal sealed class GzipBodyCuts(long seed)
{
    private readonly List<(ReadOnlyMemory<byte> Part, int DataEnd, long Version)> _parts = [];
    private readonly List<List<GzipPiece>> _pieces = [];

    // The pieces of the last body's parts by version, and this body's (swapped when the body ends): only versions the
    // last body had are kept.
    private Dictionary<long, PieceSpan[]> _lastByVersion = [];
    private Dictionary<long, PieceSpan[]> _byVersion = [];
    private int _nextToCut;

    /// <summary>How many parts were added since the last <see cref="Clear"/>.</summary>
    public int Count => _parts.Count;

    /// <summary>On how many cores the last <see cref="CutAll"/> ran.</summary>
    public int LastWorkers { get; private set; }

    /// <summary>How many parts the last <see cref="CutAll"/> found under their version instead of cutting them.</summary>
    public int LastKnown { get; private set; }

    /// <summary>
    /// Adds a part of the body: a whole body or one of its kept parts, with where the application's data ends in it and
    /// its version (0: none).
    /// </summary>
    public void Add(ReadOnlyMemory<byte> part, int dataEnd, long version) => _parts.Add((part, dataEnd, version));

    /// <summary>The pieces of part <paramref name="part"/>, in body order, once <see cref="CutAll"/> ran.</summary>
    public List<GzipPiece> PiecesOf(int part) => _pieces[part];

    /// <summary>Cuts and hashes every part, on up to <paramref name="cores"/> cores when they come to <paramref name="parallelBytes"/> or more.</summary>
    public void CutAll(int cores, long parallelBytes)
    {
        while (_pieces.Count < _parts.Count)
        {
            _pieces.Add([]);
        }

        long bytes = 0;
        int known = 0;
        for (int i = 0; i < _parts.Count; i++)
        {
            (ReadOnlyMemory<byte> part, int dataEnd, long version) = _parts[i];
            if (Versioned(part, dataEnd, version) && _lastByVersion.TryGetValue(version, out PieceSpan[]? spans) && spans[^1].End == part.Length)
            {
                foreach ((int start, int end, GzipPartKey key) in spans)
                {
                    _pieces[i].Add(new GzipPiece(part[start..end], key));
                }

                _byVersion[version] = spans;
                known++;
            }
            else
            {
                bytes += part.Length;
            }
        }

        LastKnown = known;
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

        for (int i = 0; i < _parts.Count; i++)
        {
            (ReadOnlyMemory<byte> part, int dataEnd, long version) = _parts[i];
            if (Versioned(part, dataEnd, version) && !_byVersion.ContainsKey(version))
            {
                _byVersion[version] = SpansOf(_pieces[i]);
            }
        }
    }

    /// <summary>
    /// Forgets the parts and pieces, so neither keeps the body's arrays alive until the next body; the pieces of its
    /// versioned parts are kept for the next body.
    /// </summary>
    public void Clear()
    {
        (_lastByVersion, _byVersion) = (_byVersion, _lastByVersion);
        _byVersion.Clear();
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
            (ReadOnlyMemory<byte> body, int dataEnd, _) = _parts[i];
            List<GzipPiece> pieces = _pieces[i];
            if (pieces.Count > 0)
            {
                // Found under its version.
                continue;
            }

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

    /// <summary>
    /// Whether a part's pieces may be kept under its version: it has one, and is application data only (where the data
    /// ends inside a part, its cuts depend on more than its bytes).
    /// </summary>
    private static bool Versioned(ReadOnlyMemory<byte> part, int dataEnd, long version) => version != 0 && !part.IsEmpty && dataEnd >= part.Length;

    /// <summary>Where each of a part's pieces lies in it: they follow one another from its start.</summary>
    private static PieceSpan[] SpansOf(List<GzipPiece> pieces)
    {
        var spans = new PieceSpan[pieces.Count];
        int start = 0;
        for (int i = 0; i < spans.Length; i++)
        {
            int end = start + pieces[i].Bytes.Length;
            spans[i] = new PieceSpan(start, end, pieces[i].Key);
            start = end;
        }

        return spans;
    }

    /// <summary>Where a piece lies in its part, and its key.</summary>
    private readonly record struct PieceSpan(int Start, int End, GzipPartKey Key);
}

/// <summary>
/// What a part of a body is known by in <see cref="GzipMemberCache"/>: its length and its XxHash128 under a seed drawn per
/// cache (so nobody can aim at a collision, and an accidental one has odds of 2^-128).
/// </summary>
internal readonly record struct GzipPartKey(UInt128 Hash, int Length);

/// <summary>A piece of a body as cut (<see cref="GzipMemberCuts"/>), with its key.</summary>
internal readonly record struct GzipPiece(ReadOnlyMemory<byte> Bytes, GzipPartKey Key);
