using System.IO.Hashing;

namespace Chorus.Files;

/// <summary>
/// What a folded file's bytes were when a compaction read them into its new archive: their length and XxHash3. Kept in
/// the journal, so the compaction and a later recovery can tell a file written since (by a process that reused its
/// writer's PID or took its slot, then let go again) from one that is exactly what the archive holds.
/// </summary>
/// <param name="Length">How many bytes were read (up to the header's <c>used</c>).</param>
/// <param name="Hash">Their XxHash3.</param>
internal readonly record struct FoldedBytes(int Length, ulong Hash)
{
    /// <summary>The fingerprint of <paramref name="data"/>.</summary>
    public static FoldedBytes Of(ReadOnlySpan<byte> data) => new(data.Length, XxHash3.HashToUInt64(data));
}
