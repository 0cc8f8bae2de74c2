namespace Chorus.AspNetCore.Http;

/// <summary>
/// Places each new member of a body into a run block (<see cref="GzipRunBuffers"/>) as soon as a core has
/// compressed it, so a core needs scratch room for one member, not for its whole share of the body.
/// </summary>
/// <remarks>
/// Each core used to compress its share into a scratch buffer of its own and the shares were then copied into one array:
/// on the GitLab-sized host, whose 26 MB body is all new when every writer changes values, the two scratch buffers held
/// 12.6 MB for a 6 MB body between scrapes (docs/benchmarks.md). A block is taken for what the body's parts not yet
/// placed should need, at the ratio of the last body's members to its parts (at the ratio so far within a body once it
/// is known; only bodies of some size count); a member that does not fit the rest of the block starts another. Members are placed in the order cores
/// finish them, not in body order: the body is the list of members, wherever they sit. Thread-safe: cores place members
/// under a lock of its own, since the cache's caller holds the cache's lock while they run.
/// </remarks>
internal sealed class GzipRunAppender(GzipRunBuffers buffers)
{
    // Members to parts for a first body: a little under what the fastest level makes of the GitLab-sized host's text
    // (0.23), since a guess too small costs a second block, one too large a block longer than the bodies after it need.
    private const double FirstRatio = 0.2;

    // Parts placed before the ratio within a body is trusted over the last big body's.
    private const long RatioSampleBytes = 256 * 1024;

    private readonly Lock _gate = new();
    private double _lastRatio = FirstRatio;
    private GzipRunBuffer? _current;
    private int _at;
    private long _partBytesLeft;
    private long _partBytesPlaced;
    private long _memberBytesPlaced;

    /// <summary>Starts a body whose new parts add up to <paramref name="partBytes"/> bytes.</summary>
    public void Begin(long partBytes)
    {
        _current = null;
        _at = 0;
        _partBytesLeft = partBytes;
        _partBytesPlaced = 0;
        _memberBytesPlaced = 0;
    }

    /// <summary>Copies <paramref name="bytes"/>, the member of a part of <paramref name="partLength"/> bytes, into a run block and points <paramref name="member"/> at it.</summary>
    public void Place(GzipMember member, int partLength, ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            _partBytesLeft -= partLength;
            if (_current is null || _current.Length - _at < bytes.Length)
            {
                double ratio = _partBytesPlaced >= RatioSampleBytes ? _memberBytesPlaced / (double)_partBytesPlaced : _lastRatio;
                long wanted = bytes.Length + (long)(Math.Max(0, _partBytesLeft) * ratio);
                _current = buffers.Take((int)Math.Min(wanted, Array.MaxLength / 9 * 8));
                _at = 0;
            }

            bytes.CopyTo(_current.SpanFrom(_at));
            member.Bytes = _current.Slice(_at, bytes.Length);
            member.Run = _current;
            _at += bytes.Length;
            _partBytesPlaced += partLength;
            _memberBytesPlaced += bytes.Length;
        }
    }

    /// <summary>Ends the body: its ratio of members to parts sizes the next body's first block.</summary>
    public void End()
    {
        // A body of a few small parts (the scrape's tail, sent stored) says nothing of how a big body compresses.
        if (_partBytesPlaced >= RatioSampleBytes)
        {
            _lastRatio = _memberBytesPlaced / (double)_partBytesPlaced;
        }

        _current = null;
    }
}
