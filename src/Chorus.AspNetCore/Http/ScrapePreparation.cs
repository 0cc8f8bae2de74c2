namespace Chorus.AspNetCore.Http;

/// <summary>
/// Prepares the next scrape shortly before it is due (<see cref="ScrapeCadence"/>): a collection ahead of it, formatted and
/// compressed as that scrape will ask, whose output nobody reads. The scrape itself still collects afresh when it
/// arrives, so it serves what the files hold then; it only finds the changes of the last moments left to read, merge,
/// format and compress, instead of those of the whole interval, and its caches warm.
/// </summary>
/// <remarks>
/// <para>
/// The preparation starts <see cref="LeadPerScrape"/> times the last scrape's own time before the next is due, at least
/// <see cref="MinimumLead"/> and at most a quarter of the interval, so that it is done before the scrape arrives; a scrape
/// that arrives early waits for it as for any collection in flight. It runs only while the interval is at least
/// <see cref="MaxDutyCycle"/> times the scrape's time: a server scraped back to back (a load test) is not prepared for.
/// A scrape that arrives cancels the preparation not yet started; its response schedules the next.
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
internal sealed class ScrapePreparation : IDisposable
{
    /// <summary>The least time between the start of a preparation and the scrape it prepares.</summary>
    public static readonly TimeSpan MinimumLead = TimeSpan.FromMilliseconds(100);

    /// <summary>How many times the last scrape's own time a preparation starts before the next scrape.</summary>
    public const int LeadPerScrape = 3;

    /// <summary>How many times the last scrape's own time the interval must be for the next scrape to be prepared.</summary>
    public const int MaxDutyCycle = 20;

    private readonly ScrapeCadence _cadence;
    private readonly Action<int> _prepare;
    private readonly Action<Exception> _failed;
    private readonly Func<long> _clock;
    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private int _kind = -1;
    private bool _disposed;
    private int _runs;

    /// <summary>Prepares scrapes of a kind with <paramref name="prepare"/> once their cadence is known.</summary>
    /// <param name="minimumInterval">The shortest interval between scrapes that is prepared for.</param>
    /// <param name="prepare">Collects (and compresses) ahead as a scrape of the kind given would.</param>
    /// <param name="failed">Told of a preparation that threw (on a timer thread an exception would end the process).</param>
    /// <param name="clock">Milliseconds now, <see cref="Environment.TickCount64"/> unless a test moves time itself.</param>
    public ScrapePreparation(TimeSpan minimumInterval, Action<int> prepare, Action<Exception> failed, Func<long>? clock = null)
    {
        _clock = clock ?? (static () => Environment.TickCount64);
        _cadence = new ScrapeCadence(minimumInterval);
        _prepare = prepare;
        _failed = failed;
        _timer = new Timer(static state => ((ScrapePreparation)state!).Run(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>How many preparations have run (tests).</summary>
    public int Runs => Volatile.Read(ref _runs);

    /// <summary>A scrape of <paramref name="kind"/> arrived: the preparation not yet started is not needed any more.</summary>
    public void Arrived(int kind)
    {
        lock (_gate)
        {
            _cadence.Arrived(kind, _clock());
            if (!_disposed)
            {
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
            }
        }
    }

    /// <summary>A scrape of <paramref name="kind"/> was answered, <paramref name="took"/> after it arrived: schedules the next one's preparation.</summary>
    public void Answered(int kind, TimeSpan took)
    {
        long now = _clock();
        lock (_gate)
        {
            if (_disposed || !_cadence.TryPredict(kind, out long next, out long interval))
            {
                return;
            }

            if (DelayUntilPreparing(next, interval, took, now) is { } due)
            {
                _kind = kind;
                _timer.Change(due, Timeout.Infinite);
            }
        }
    }

    /// <summary>
    /// How long from <paramref name="now"/> the preparation of a scrape due at <paramref name="next"/> starts (milliseconds),
    /// or null: the interval is too short for a scrape that took <paramref name="took"/>, or it is too late to start.
    /// </summary>
    public static long? DelayUntilPreparing(long next, long interval, TimeSpan took, long now)
    {
        long tookMs = Math.Max(1, (long)Math.Ceiling(took.TotalMilliseconds));
        if (interval < tookMs * MaxDutyCycle)
        {
            return null;
        }

        long lead = Math.Min(interval / 4, Math.Max((long)MinimumLead.TotalMilliseconds, tookMs * LeadPerScrape));
        long due = next - lead - now;
        return due > 0 ? due : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }

    private void Run()
    {
        int kind;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            kind = _kind;
        }

        try
        {
            _prepare(kind);
        }
        catch (Exception e)
        {
            _failed(e);
        }
        finally
        {
            Interlocked.Increment(ref _runs);
        }
    }
}
