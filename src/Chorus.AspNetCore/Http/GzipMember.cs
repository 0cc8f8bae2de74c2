namespace Chorus.AspNetCore.Http;

/// <summary>
/// A part's gzip member in <see cref="GzipMemberCache"/>; final when it is not to be compressed again at the promoted
/// level (<see cref="GzipMemberCache.PromotedPartBytes"/>).
/// </summary>
/// <remarks>A new part's bytes are set once, when the body's new parts are compressed, before any body sends them.</remarks>
internal sealed class GzipMember(ReadOnlyMemory<byte> bytes, bool final)
{
    public ReadOnlyMemory<byte> Bytes { get; set; } = bytes;

    /// <summary>The run block <see cref="Bytes"/> slices, for a member compressed in a run (or carried, <see cref="GzipRunCarry"/>).</summary>
    public GzipRunBuffer? Run { get; set; }

    public bool Final { get; } = final;

    /// <summary>
    /// True while the member has been used only by a prepared body and not yet by a scrape's: a part unchanged for the
    /// moments between a preparation and its scrape has not stayed for a scrape interval, so it is not worth compressing
    /// again (<see cref="GzipMemberCache.Compress(Buffers.SegmentedBody, int, bool)"/>). Changed under the cache's lock.
    /// </summary>
    public bool FromPreparation { get; set; }
}
