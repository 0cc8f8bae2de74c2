namespace Chorus.AspNetCore.Http;

/// <summary>
/// When the next scrape of one kind is due, learnt from the last ones: Prometheus scrapes each target at a fixed
/// interval (its <c>scrape_interval</c>, from a fixed offset), so once three scrapes came at the same interval the next
/// one is all but certain to come one interval after the last. A pair of Prometheus servers (or up to
/// <see cref="MaxScrapers"/>) scraping at the same interval from different offsets is a cadence too: each scrape comes
/// one interval after the one that many scrapes before it. A scrape of another kind (format, escaping or encoding:
/// another client) starts the learning again, and scrapes that fit no such cadence (a person with curl) predict nothing.
/// </summary>
/// <remarks>Not thread-safe: its owner serialises the calls.</remarks>
/// <param name="minimumInterval">The shortest interval worth predicting (a load test's scrapes back to back are not a cadence).</param>
internal sealed class ScrapeCadence(TimeSpan minimumInterval)
{
    /// <summary>How many intervals in a row must agree before the next scrape is predicted.</summary>
    public const int AgreeingIntervals = 2;

    /// <summary>The most scrapers at one interval and different offsets whose scrapes are predicted.</summary>
    public const int MaxScrapers = 3;

    /// <summary>How far (a share of the shortest, at least <see cref="MinimumTolerance"/>) the intervals may be from each other.</summary>
    public const int ToleranceDivisor = 20;

    /// <summary>The least tolerance in milliseconds: timers and the network move a scrape by a few.</summary>
    public const long MinimumTolerance = 20;

    // The last arrivals of the current kind (milliseconds), oldest first: enough for MaxScrapers scrapers' intervals to agree.
    private readonly long[] _arrivals = new long[(AgreeingIntervals * MaxScrapers) + 1];
    private int _count;
    private int _kind = -1;

    /// <summary>Notes that a scrape of <paramref name="kind"/> arrived at <paramref name="now"/> (milliseconds).</summary>
    public void Arrived(int kind, long now)
    {
        if (kind != _kind)
        {
            _kind = kind;
            _count = 0;
        }

        if (_count == _arrivals.Length)
        {
            Array.Copy(_arrivals, 1, _arrivals, 0, _arrivals.Length - 1);
            _count--;
        }

        _arrivals[_count++] = now;
    }

    /// <summary>
    /// When the next scrape of <paramref name="kind"/> is due (milliseconds): one interval after the scrape as many
    /// scrapes back as there are scrapers, for the fewest scrapers whose intervals agree (<see cref="IntervalsAgree"/>).
    /// False when none agree, or the interval is shorter than <c>minimumInterval</c>. <paramref name="interval"/> is how
    /// long after the last scrape the next is due, and <paramref name="jitter"/> how far the intervals compared differed
    /// (milliseconds).
    /// </summary>
    public bool TryPredict(int kind, out long next, out long interval, out long jitter)
    {
        next = 0;
        interval = 0;
        jitter = 0;
        if (kind != _kind)
        {
            return false;
        }

        for (int scrapers = 1; scrapers <= MaxScrapers && _count >= (AgreeingIntervals * scrapers) + 1; scrapers++)
        {
            if (!IntervalsAgree(scrapers, out long period, out jitter))
            {
                continue;
            }

            if (ShorterThanTheMinimum(period))
            {
                return false;
            }

            next = _arrivals[_count - scrapers] + period;
            interval = next - _arrivals[_count - 1];
            return true;
        }

        jitter = 0;
        return false;
    }

    /// <summary>
    /// Whether, of the last <see cref="AgreeingIntervals"/> × <paramref name="scrapers"/> + 1 scrapes, the times between each
    /// and the scrape <paramref name="scrapers"/> before it agree within the tolerance (for one scraper, its last
    /// <see cref="AgreeingIntervals"/> intervals); <paramref name="period"/> is the last of them.
    /// </summary>
    private bool IntervalsAgree(int scrapers, out long period, out long spread)
    {
        long shortest = long.MaxValue;
        long longest = long.MinValue;
        for (int i = _count - (AgreeingIntervals * scrapers) - 1; i + scrapers < _count; i++)
        {
            long between = _arrivals[i + scrapers] - _arrivals[i];
            shortest = Math.Min(shortest, between);
            longest = Math.Max(longest, between);
        }

        period = _arrivals[_count - 1] - _arrivals[_count - 1 - scrapers];
        spread = longest - shortest;
        return spread <= Math.Max(MinimumTolerance, shortest / ToleranceDivisor);
    }

    /// <summary>
    /// Whether <paramref name="period"/> is shorter than <c>minimumInterval</c> by more than the tolerance: a scraper at
    /// exactly the minimum (Prometheus at <c>scrape_interval: 1s</c>) is measured a millisecond or so either side of it.
    /// </summary>
    private bool ShorterThanTheMinimum(long period)
    {
        long minimum = (long)minimumInterval.TotalMilliseconds;
        return period < minimum - Math.Max(MinimumTolerance, minimum / ToleranceDivisor);
    }

    /// <summary>
    /// A guess at when the next scrape of <paramref name="kind"/> is due, before the cadence is known: the last interval
    /// after the last scrape. False unless two scrapes of that kind came about <c>minimumInterval</c> or more apart.
    /// </summary>
    public bool TryGuess(int kind, out long next, out long interval)
    {
        next = 0;
        interval = 0;
        if (kind != _kind || _count < 2 || ShorterThanTheMinimum(_arrivals[_count - 1] - _arrivals[_count - 2]))
        {
            return false;
        }

        interval = _arrivals[_count - 1] - _arrivals[_count - 2];
        next = _arrivals[_count - 1] + interval;
        return true;
    }
}
