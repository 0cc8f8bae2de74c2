namespace Chorus.AspNetCore.Http;

/// <summary>
/// The next scrape guessed while its cadence is unknown (<see cref="ScrapePreparation"/>), and when to prepare for it:
/// one interval after the last scrape, once one interval was seen (<see cref="ScrapeCadence.TryGuess"/>); else, while
/// the preparations' own time stretches their period past <see cref="ScrapePreparation.UnknownCadencePeriod"/>, the first
/// of <see cref="RoundIntervalsMs"/> after the only scrape seen that there is time to prepare for.
/// </summary>
/// <remarks>
/// At a 15 s interval the GitLab-sized host's first preparations (250–600 ms: every gzip member new) put the next one
/// 5–12 s later, and a new server's second scrape found all the changes since then left to it: 85–175 ms
/// (docs/benchmarks.md). Not thread-safe: its owner serialises the calls.
/// </remarks>
internal sealed class ScrapeGuess
{
    /// <summary>
    /// The intervals a scraper seen only once is guessed to scrape at, in milliseconds: the <c>scrape_interval</c>s
    /// Prometheus users set (its default is a minute), each counted from the scrape seen, since a Prometheus server
    /// scrapes a target at a fixed offset.
    /// </summary>
    public static readonly long[] RoundIntervalsMs = [5_000, 10_000, 15_000, 20_000, 30_000, 60_000];

    /// <summary>When the scrape guessed is due (milliseconds); zero without a guess.</summary>
    public long ScrapeAt { get; private set; }

    /// <summary>When to prepare for it (milliseconds); zero without a guess.</summary>
    public long PreparationAt { get; private set; }

    /// <summary>Forgets the guess: the cadence is known.</summary>
    public void Clear() => (ScrapeAt, PreparationAt) = (0, 0);

    /// <summary>How long from <paramref name="now"/> until the scrape guessed, while it has not passed; null otherwise.</summary>
    public TimeSpan? UntilScrape(long now) => ScrapeAt > now ? TimeSpan.FromMilliseconds(ScrapeAt - now) : null;

    /// <summary>Whether its preparation is due by <paramref name="now"/>: the one that just ran is as fresh (or was it).</summary>
    public bool PreparationDue(long now) => PreparationAt - now < (long)ScrapePreparation.MinimumLead.TotalMilliseconds;

    /// <summary>How long from <paramref name="now"/> the next preparation starts (milliseconds), every <paramref name="periodMs"/> or sooner for the guess.</summary>
    public long NextPreparation(long periodMs, long now) => PreparationAt > now ? Math.Min(periodMs, PreparationAt - now) : periodMs;

    /// <summary>
    /// Guesses the next scrape of <paramref name="kind"/> after <paramref name="after"/> (zero: any) from its arrivals in
    /// <paramref name="cadence"/>; round intervals only while <paramref name="periodMs"/> (the preparations' period)
    /// exceeds <see cref="ScrapePreparation.UnknownCadencePeriod"/>.
    /// </summary>
    public void Guess(ScrapeCadence cadence, int kind, PreparationLead lead, long periodMs, long after, long now)
    {
        Clear();
        if (cadence.TryGuess(kind, out long next, out long interval))
        {
            // Preparations repeat every periodMs until then: none takes in the changes of longer.
            if (next > after && ScrapePreparation.DelayUntilPreparing(next, interval, lead, now, Math.Min(periodMs, next - now)) is { } due)
            {
                (ScrapeAt, PreparationAt) = (next, now + due);
            }

            return;
        }

        if (periodMs <= (long)ScrapePreparation.UnknownCadencePeriod.TotalMilliseconds || !cadence.TryLast(kind, out long last))
        {
            return;
        }

        // The one scrape seen may have been a server's cold one, seconds long: the preparations' time is what the next
        // scrape's work resembles, for the lead and for the duty cycle. Not scaled by how long changes gathered: a
        // server's first preparations are the ones that take long whatever they take in (every gzip member new).
        PreparationLead own = lead with { Took = lead.PreparedIn, PreparedOverMs = 0 };
        foreach (long round in RoundIntervalsMs)
        {
            if (last + round > after && ScrapePreparation.DelayUntilPreparing(last + round, round, own, now) is { } due)
            {
                (ScrapeAt, PreparationAt) = (last + round, now + due);
                return;
            }
        }
    }
}
