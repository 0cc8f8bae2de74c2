namespace Chorus.AspNetCore.Http;

/// <summary>
/// When the next scrapes are due, learnt per kind (format, escaping and encoding: one client) from the last ones
/// (<see cref="ScrapeArrivals"/>): Prometheus scrapes each target at a fixed interval (its <c>scrape_interval</c>, from a
/// fixed offset), so once three scrapes came at the same interval the next one is all but certain to come one interval
/// after the last. A pair of Prometheus servers (or up to <see cref="MaxScrapers"/>) scraping at the same interval from
/// different offsets is a cadence too. Scrapes of other kinds in between (another collector asking for another format, a
/// person with curl) leave a kind's cadence alone; up to <see cref="MaxKinds"/> kinds are followed at once, and scrapes
/// that fit no cadence predict nothing.
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

    /// <summary>The most kinds of scrape followed at once; a new kind beyond them replaces the one scraped least recently.</summary>
    public const int MaxKinds = 4;

    private readonly List<ScrapeArrivals> _kinds = new(MaxKinds);

    /// <summary>Notes that a scrape of <paramref name="kind"/> arrived at <paramref name="now"/> (milliseconds).</summary>
    public void Arrived(int kind, long now)
    {
        ScrapeArrivals? arrivals = Find(kind);
        if (arrivals is null)
        {
            if (_kinds.Count == MaxKinds)
            {
                _kinds.Remove(_kinds.MinBy(static known => known.Last)!);
            }

            arrivals = new ScrapeArrivals(kind, minimumInterval);
            _kinds.Add(arrivals);
        }

        arrivals.Arrived(now);
    }

    /// <summary>As <see cref="ScrapeArrivals.TryPredict"/>, for the scrapes of <paramref name="kind"/>; false for a kind not followed.</summary>
    public bool TryPredict(int kind, out long next, out long interval, out long jitter)
    {
        if (Find(kind) is { } arrivals)
        {
            return arrivals.TryPredict(out next, out interval, out jitter);
        }

        (next, interval, jitter) = (0, 0, 0);
        return false;
    }

    /// <summary>As <see cref="ScrapeArrivals.TryGuess"/>, for the scrapes of <paramref name="kind"/>; false for a kind not followed.</summary>
    public bool TryGuess(int kind, out long next, out long interval)
    {
        if (Find(kind) is { } arrivals)
        {
            return arrivals.TryGuess(out next, out interval);
        }

        (next, interval) = (0, 0);
        return false;
    }

    /// <summary>When the last scrape of <paramref name="kind"/> arrived; false for a kind not followed.</summary>
    public bool TryLast(int kind, out long last)
    {
        ScrapeArrivals? arrivals = Find(kind);
        last = arrivals?.Last ?? 0;
        return arrivals is not null;
    }

    /// <summary>How many kinds are followed.</summary>
    public int KindCount => _kinds.Count;

    /// <summary>
    /// As <see cref="TryPredict"/>, for the kind followed at <paramref name="index"/> (0 to <see cref="KindCount"/> - 1, in no
    /// particular order), which <paramref name="kind"/> names.
    /// </summary>
    public bool TryPredictAt(int index, out int kind, out long next, out long interval, out long jitter)
    {
        kind = _kinds[index].Kind;
        return _kinds[index].TryPredict(out next, out interval, out jitter);
    }

    private ScrapeArrivals? Find(int kind)
    {
        foreach (ScrapeArrivals arrivals in _kinds)
        {
            if (arrivals.Kind == kind)
            {
                return arrivals;
            }
        }

        return null;
    }
}
