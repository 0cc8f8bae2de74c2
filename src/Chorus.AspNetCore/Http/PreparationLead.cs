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
internal readonly record struct PreparationLead(TimeSpan Took, TimeSpan PreparedIn, long JitterMs, long LateMs, long PreparedOverMs = 0);
