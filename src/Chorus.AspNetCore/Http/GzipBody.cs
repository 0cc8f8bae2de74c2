namespace Chorus.AspNetCore.Http;

/// <summary>A gzip response body as the members that, sent in order, make it (<see cref="GzipMemberCache"/>).</summary>
/// <param name="Members">The members; shared with the cache, so never written to.</param>
/// <param name="Length">Their total length: the response's <c>Content-Length</c>.</param>
/// <param name="Runs">The reused arrays the members slice, held until the response is done (<see cref="GzipMemberCache.Release"/>).</param>
internal readonly record struct GzipBody(ReadOnlyMemory<byte>[] Members, long Length, GzipRunBuffer[]? Runs = null);
