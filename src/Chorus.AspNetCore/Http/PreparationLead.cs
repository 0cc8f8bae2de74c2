namespace Chorus.AspNetCore.Http;

/// <summary>What sets how far ahead of a scrape its preparation starts (<see cref="ScrapePreparation.DelayUntilPreparing"/>).</summary>
/// <param name="Took">The last scrape's own time.</param>
/// <param name="PreparedIn">The last preparation's own time (zero before the first).</param>
/// <param name="JitterMs">How far the scraper's last intervals differed, in milliseconds.</param>
/// <param name="LateMs">How late the timer started the latest preparations (<see cref="TimerLateness.Worst"/>), in milliseconds.</param>
/// <param name="PreparedOverMs">
/// How long the changes the last preparation took in had gathered (from the collection before it to its start), in
/// milliseconds; zero when not known.
/// </param>
internal readonly record struct PreparationLead(TimeSpan Took, TimeSpan PreparedIn, long JitterMs, long LateMs, long PreparedOverMs = 0)
{
    /// <summary>
    /// The most the last preparation's own time is scaled up by when it took in the changes of less than half as long as
    /// the next will (<see cref="ExpectedPreparationMs"/>).
    /// </summary>
    public const int MaxGatheringScale = 4;

    /// <summary>
    /// How long the preparation of a scrape <paramref name="gatheringMs"/> from the last collection is expected to take: the
    /// last preparation's own time, scaled by how much longer the changes will have gathered (up to
    /// <see cref="MaxGatheringScale"/>) when it took in those of less than half as long. Once a cadence is learnt, its
    /// first preparation takes in a whole interval's changes after preparations a second or so apart: on the GitLab-sized
    /// host at 15 s, 200 ms against their 60 ms, and started 115 ms ahead, its scrape waited for it (137–178 ms,
    /// docs/benchmarks.md). The changes a preparation reads saturate as every region of the files moves, hence the bound.
    /// </summary>
    public long ExpectedPreparationMs(long gatheringMs) =>
        PreparedOverMs > 0 && gatheringMs > 2 * PreparedOverMs
            ? (long)Math.Ceiling(PreparedIn.TotalMilliseconds * Math.Min(MaxGatheringScale, (double)gatheringMs / PreparedOverMs))
            : ScrapePreparation.CeilingMs(PreparedIn);
}
