namespace Chorus.AspNetCore.Http;

/// <summary>
/// The last arrivals of one kind of scrape, and when the next is due from them (<see cref="ScrapeCadence"/>): once
/// <see cref="ScrapeCadence.AgreeingIntervals"/> intervals in a row agree, one interval after the last; for a pair (or up
/// to <see cref="ScrapeCadence.MaxScrapers"/>) of scrapers at one interval from different offsets, one interval after the
/// scrape that many scrapes before it.
/// </summary>
/// <remarks>Not thread-safe: its owner serialises the calls.</remarks>
/// <param name="kind">The kind of scrape whose arrivals these are.</param>
/// <param name="minimumInterval">The shortest interval worth predicting (a load test's scrapes back to back are not a cadence).</param>
internal sealed class ScrapeArrivals(int kind, TimeSpan minimumInterval)
{
    // Milliseconds, oldest first: enough for MaxScrapers scrapers' intervals to agree.
    private readonly long[] _arrivals = new long[(ScrapeCadence.AgreeingIntervals * ScrapeCadence.MaxScrapers) + 1];
    private int _count;

    /// <summary>The kind of scrape whose arrivals these are.</summary>
    public int Kind { get; } = kind;

    /// <summary>When the last scrape of this kind arrived (milliseconds).</summary>
    public long Last => _arrivals[_count - 1];

    /// <summary>Notes that a scrape of this kind arrived at <paramref name="now"/> (milliseconds).</summary>
    public void Arrived(long now)
    {
        if (_count == _arrivals.Length)
        {
            Array.Copy(_arrivals, 1, _arrivals, 0, _arrivals.Length - 1);
            _count--;
        }

        _arrivals[_count++] = now;
    }

    /// <summary>
    /// When the next scrape is due (milliseconds): one interval after the scrape as many scrapes back as there are
    /// scrapers, for the number of scrapers whose intervals agree best (<see cref="IntervalsAgree"/>; the fewest of those
    /// that agree alike). A pair whose offsets lie near half an interval apart also agrees as one scraper, within the
    /// tolerance, but the pair's intervals agree closer, and only they predict its scrapes to the millisecond. False when
    /// none agree, or when the one scraper's interval agrees and is shorter than <c>minimumInterval</c> (scrapes that
    /// fast are not prepared for, whoever makes them). <paramref name="interval"/> is how long after the last scrape the
    /// next is due, and <paramref name="jitter"/> how far the intervals compared differed (milliseconds).
    /// </summary>
    public bool TryPredict(out long next, out long interval, out long jitter)
    {
        (next, interval, jitter) = (0, 0, 0);
        int best = 0;
        long bestPeriod = 0;
        for (int scrapers = 1; scrapers <= ScrapeCadence.MaxScrapers && _count >= (ScrapeCadence.AgreeingIntervals * scrapers) + 1; scrapers++)
        {
            if (!IntervalsAgree(scrapers, out long period, out long spread))
            {
                continue;
            }

            if (scrapers == 1 && ShorterThanTheMinimum(period))
            {
                return false;
            }

            if (best == 0 || spread < jitter)
            {
                (best, bestPeriod, jitter) = (scrapers, period, spread);
            }
        }

        if (best == 0 || ShorterThanTheMinimum(bestPeriod))
        {
            jitter = 0;
            return false;
        }

        next = _arrivals[_count - best] + bestPeriod;
        interval = next - _arrivals[_count - 1];
        return true;
    }

    /// <summary>
    /// A guess at when the next scrape is due, before the cadence is known: the last interval after the last scrape. False
    /// unless two scrapes came about <c>minimumInterval</c> or more apart.
    /// </summary>
    public bool TryGuess(out long next, out long interval)
    {
        next = 0;
        interval = 0;
        if (_count < 2 || ShorterThanTheMinimum(_arrivals[_count - 1] - _arrivals[_count - 2]))
        {
            return false;
        }

        interval = _arrivals[_count - 1] - _arrivals[_count - 2];
        next = _arrivals[_count - 1] + interval;
        return true;
    }

    /// <summary>
    /// Whether, of the last <see cref="ScrapeCadence.AgreeingIntervals"/> × <paramref name="scrapers"/> + 1 scrapes, the
    /// times between each and the scrape <paramref name="scrapers"/> before it agree within the tolerance (for one scraper,
    /// its last intervals); <paramref name="period"/> is the last of them.
    /// </summary>
    private bool IntervalsAgree(int scrapers, out long period, out long spread)
    {
        long shortest = long.MaxValue;
        long longest = long.MinValue;
        for (int i = _count - (ScrapeCadence.AgreeingIntervals * scrapers) - 1; i + scrapers < _count; i++)
        {
            long between = _arrivals[i + scrapers] - _arrivals[i];
            shortest = Math.Min(shortest, between);
            longest = Math.Max(longest, between);
        }

        period = _arrivals[_count - 1] - _arrivals[_count - 1 - scrapers];
        spread = longest - shortest;
        return spread <= Math.Max(ScrapeCadence.MinimumTolerance, shortest / ScrapeCadence.ToleranceDivisor);
    }

    /// <summary>
    /// Whether <paramref name="period"/> is shorter than <c>minimumInterval</c> by more than the tolerance: a scraper at
    /// exactly the minimum (Prometheus at <c>scrape_interval: 1s</c>) is measured a millisecond or so either side of it.
    /// </summary>
    private bool ShorterThanTheMinimum(long period)
    {
        long minimum = (long)minimumInterval.TotalMilliseconds;
        return period < minimum - Math.Max(ScrapeCadence.MinimumTolerance, minimum / ScrapeCadence.ToleranceDivisor);
    }
}
