namespace Chorus.AspNetCore.Http;

/// <summary>
/// When the next scrape of one kind is due, learnt from the last ones: Prometheus scrapes each target at a fixed
/// interval (its <c>scrape_interval</c>, from a fixed offset), so once three scrapes came at the same interval the next
/// one is all but certain to come one interval after the last. A scrape of another kind (format, escaping or encoding:
/// another client) starts the learning again, and so do scrapes whose intervals disagree (two scrapers of one kind at
/// different offsets, a person with curl): nothing is predicted for them.
/// </summary>
/// <remarks>Not thread-safe: its owner serialises the calls.</remarks>
/// <param name="minimumInterval">The shortest interval worth predicting (a load test's scrapes back to back are not a cadence).</param>
internal sealed class ScrapeCadence(TimeSpan minimumInterval)
{
    /// <summary>How many intervals in a row must agree before the next scrape is predicted.</summary>
    public const int AgreeingIntervals = 2;

    /// <summary>How far (a share of the shortest, at least <see cref="MinimumTolerance"/>) the intervals may be from each other.</summary>
    public const int ToleranceDivisor = 20;

    /// <summary>The least tolerance in milliseconds: timers and the network move a scrape by a few.</summary>
    public const long MinimumTolerance = 20;

    // The last arrivals of the current kind (Environment.TickCount64), oldest first.
    private readonly long[] _arrivals = new long[AgreeingIntervals + 1];
    private int _count;
    private int _kind = -1;

    /// <summary>Notes that a scrape of <paramref name="kind"/> arrived at <paramref name="now"/> (milliseconds, <see cref="Environment.TickCount64"/>).</summary>
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
    /// When the next scrape of <paramref name="kind"/> is due (milliseconds, <see cref="Environment.TickCount64"/>): the last
    /// interval after the last scrape. False unless the last <see cref="AgreeingIntervals"/> intervals of that kind agree
    /// and are <c>minimumInterval</c> or longer. <paramref name="jitter"/> is how far those intervals differed (milliseconds).
    /// </summary>
    public bool TryPredict(int kind, out long next, out long interval, out long jitter)
    {
        next = 0;
        interval = 0;
        jitter = 0;
        if (kind != _kind || _count < _arrivals.Length)
        {
            return false;
        }

        long shortest = long.MaxValue;
        long longest = long.MinValue;
        for (int i = 0; i < AgreeingIntervals; i++)
        {
            long between = _arrivals[i + 1] - _arrivals[i];
            shortest = Math.Min(shortest, between);
            longest = Math.Max(longest, between);
        }

        if (shortest < (long)minimumInterval.TotalMilliseconds || longest - shortest > Math.Max(MinimumTolerance, shortest / ToleranceDivisor))
        {
            return false;
        }

        interval = _arrivals[^1] - _arrivals[^2];
        jitter = longest - shortest;
        next = _arrivals[^1] + interval;
        return true;
    }

    /// <summary>
    /// A guess at when the next scrape of <paramref name="kind"/> is due, before the cadence is known: the last interval
    /// after the last scrape. False unless two scrapes of that kind came, <c>minimumInterval</c> or more apart.
    /// </summary>
    public bool TryGuess(int kind, out long next, out long interval)
    {
        next = 0;
        interval = 0;
        if (kind != _kind || _count < 2 || _arrivals[_count - 1] - _arrivals[_count - 2] < (long)minimumInterval.TotalMilliseconds)
        {
            return false;
        }

        interval = _arrivals[_count - 1] - _arrivals[_count - 2];
        next = _arrivals[_count - 1] + interval;
        return true;
    }
}
