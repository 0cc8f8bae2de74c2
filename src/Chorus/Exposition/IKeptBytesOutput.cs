namespace Chorus.Exposition;

/// <summary>
/// An output that can take bytes by reference instead of copying them: a big host's response sent from the families'
/// kept renderings, with no copy of the whole body.
/// </summary>
internal interface IKeptBytesOutput
{
    /// <summary>Whether <see cref="WriteKept"/> may be called (false: the bytes are copied as usual).</summary>
    bool KeepsBytes { get; }

    /// <summary>
    /// Appends <paramref name="bytes"/> as the next part of the output, without copying them. The writer must not change
    /// them until <paramref name="lease"/> is released, which the output does once, when it no longer reads them.
    /// </summary>
    /// <param name="bytes">The bytes, appended after everything written so far.</param>
    /// <param name="lease">Released once the output is done with <paramref name="bytes"/>.</param>
    /// <param name="version">
    /// Names these bytes: never given with other bytes, so an output that sees a version again may reuse what it made of
    /// them last time without reading them (the gzip members of an unchanged family). 0 when the writer cannot say.
    /// </param>
    void WriteKept(ReadOnlyMemory<byte> bytes, IKeptBytesLease lease, long version);
}
