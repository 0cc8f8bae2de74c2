using System.Globalization;
using Chorus.Aggregation;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Prepares the next scrape shortly before it is due (<see cref="ScrapeCadence"/>): a collection ahead of it, formatted and
/// compressed as that scrape will ask, whose output nobody reads. The scrape itself still collects afresh when it
/// arrives, so it serves what the files hold then; it only finds the changes of the last moments left to read, merge,
/// format and compress, instead of those of the whole interval, and its caches warm.
/// </summary>
/// <remarks>
/// <para>
/// The preparation starts as late as it safely can, since whatever changes after it is left for the scrape: before the
/// next scrape is due by <see cref="LeadPerPreparation"/> times the last preparation's own time,
/// <see cref="LeadPerScrape"/> times the last scrape's, <see cref="LeadPerJitter"/> times how far the scraper's last
/// intervals differed, <see cref="LeadPerLateness"/> times how late the timer started the latest preparations
/// (<see cref="TimerLateness"/>), and at least <see cref="MinimumLead"/>, whichever is most, but at most a quarter of the interval;
/// a scrape that arrives early waits for it as for any collection in flight. It runs only while the interval is at least
/// <see cref="MaxDutyCycle"/> times the scrape's time: a server scraped back to back (a load test) is not prepared for.
/// A scrape that arrives cancels the preparation not yet started; its response schedules the next: of the kinds whose
/// cadence is known, the one whose preparation is due first, so a client of another kind scraping between a Prometheus
/// server's scrapes does not leave those unprepared.
/// </para>
/// <para>
/// Until the cadence is known (a server's first scrapes, a scraper whose interval changed or whose scrapes vary, a person
/// with curl), the next scrape is prepared every <see cref="UnknownCadencePeriod"/> (longer when a preparation takes more
/// than a twentieth of it: <see cref="RepeatPeriod"/>) for <see cref="UnknownCadenceHorizon"/> after the last answer, so
/// that whenever it comes it finds at most that period's changes left: without this the first two scrapes after a server
/// started or idled took all of an interval's changes.
/// Once one interval is known, it is also prepared for as if the cadence were, in case the next interval is the same;
/// with one scrape seen, while the preparations repeat less often than every second, at the round intervals after it that
/// Prometheus users set (<see cref="ScrapeGuess"/>).
/// Scrapes closer together than the period cancel each preparation before it starts.
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
internal sealed class ScrapePreparation : IDisposable
{
    /// <summary>The least time between the start of a preparation and the scrape it prepares.</summary>
    /// <remarks>
    /// Arrivals are timed where the scrape arrives, so the way through the network is in them already; a timer that fires
    /// late is covered by <see cref="LeadPerLateness"/>. 100 ms left Python writers that change values every 0.2 s half of
    /// their changes to the scrape (docs/benchmarks.md).
    /// </remarks>
    public static readonly TimeSpan MinimumLead = TimeSpan.FromMilliseconds(5);

    /// <summary>How many times the last scrape's own time a preparation starts before the next scrape.</summary>
    public const int LeadPerScrape = 3;

    /// <summary>How many times the last preparation's own time it starts before the next scrape, so it is done by then.</summary>
    public const int LeadPerPreparation = 2;

    /// <summary>How many times the scraper's jitter (how far its last intervals differed) a preparation starts before the next scrape.</summary>
    public const int LeadPerJitter = 4;

    /// <summary>How many times as late as the timer started the latest preparations (<see cref="TimerLateness.Worst"/>) a preparation starts before the next scrape.</summary>
    public const int LeadPerLateness = 2;

    /// <summary>How many times the last scrape's own time the interval must be for the next scrape to be prepared.</summary>
    public const int MaxDutyCycle = 20;

    /// <summary>How often a scrape whose cadence is not known yet is prepared while it is awaited.</summary>
    public static readonly TimeSpan UnknownCadencePeriod = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long after the last answer a scrape whose cadence is not known yet is prepared for: a little over a minute,
    /// Prometheus's default scrape interval.
    /// </summary>
    public static readonly TimeSpan UnknownCadenceHorizon = TimeSpan.FromSeconds(65);

    private readonly ScrapeCadence _cadence;
    private readonly Action<int> _prepare;
    private readonly Action<Exception> _failed;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private readonly TimerLateness _lateness = new();

    // While the cadence is unknown, the scrape guessed next.
    private readonly ScrapeGuess _guess = new();

    // The preparation running now (RunIfStillDue), for scrapes that arrive during it (InFlight); null between them. And
    // the scrapes arrived when it was scheduled: more have arrived since when one waits for it (UntilPredictedScrape).
    private TaskCompletionSource? _running;
    private long _runningScheduledAfter;
    private int _kind = -1;
    private bool _disposed;
    private int _runs;

    // The last preparation's own time in milliseconds (it may take longer than the scrape it prepares, which finds
    // most of the work done), and how long the changes it took in had gathered: since the end of the collection before
    // it (_collectedAt: a scrape's or a preparation's).
    private long _preparedInMs;
    private long _preparedOverMs;
    private long _collectedAt;

    // Scrapes arrived so far, and how many had when the pending preparation was scheduled: a timer callback already on
    // its way when a scrape arrives (a busy thread pool delays it past a short lead) finds them differ and does nothing.
    private long _arrived;
    private long _scheduledAfter;

    // When the pending preparation is due to start (zero when none is pending, or once it started): how late it started;
    // and when the scrape it prepares is predicted (zero when it is not) and that scrape's kind, for the stage-time lines.
    private long _dueAt;
    private long _predictedAt;
    private int _predictedKind = -1;

    // While the cadence is unknown: the period the preparations repeat at (zero otherwise), when the last answer was and
    // what set its lead.
    private long _repeatEveryMs;
    private long _answeredAt;
    private PreparationLead _answeredLead;

    /// <summary>Prepares scrapes of a kind with <paramref name="prepare"/>: just before each once their cadence is known, every second until then.</summary>
    /// <param name="minimumInterval">The shortest interval between scrapes that is prepared for.</param>
    /// <param name="prepare">Collects (and compresses) ahead as a scrape of the kind given would.</param>
    /// <param name="failed">Told of a preparation that threw (on a timer thread an exception would end the process).</param>
    /// <param name="time">The clock and timers; <see cref="TimeProvider.System"/> unless a test moves time itself.</param>
    public ScrapePreparation(TimeSpan minimumInterval, Action<int> prepare, Action<Exception> failed, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _cadence = new ScrapeCadence(minimumInterval);
        _prepare = prepare;
        // A report that fails too (a logging provider's fault) is dropped: this runs on a timer, where it would end the process.
        _failed = e => { try { failed(e); } catch (Exception) { } };
        _timer = _time.CreateTimer(static state => ((ScrapePreparation)state!).RunIfStillDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>How long from its answer the last scrape scheduled its successor's preparation, in milliseconds, or null (tests).</summary>
    public long? LastDelay { get; private set; }

    /// <summary>How many preparations have run (tests).</summary>
    public int Runs => Volatile.Read(ref _runs);

    /// <summary>
    /// Completes when the preparation running now, if any, is done. A scrape that arrives while one runs waits for it: the
    /// preparation's body holds the families' renderings while it compresses them, and a scrape collecting beside it
    /// formatted every rendering into new buffers (26–40 MB on the GitLab-sized host, and a full collection inside the
    /// scrape: 100–220 ms), while the preparation's members are what that scrape sends.
    /// </summary>
    public Task InFlight
    {
        get
        {
            lock (_gate)
            {
                return _running?.Task ?? Task.CompletedTask;
            }
        }
    }

    /// <summary>
    /// How long until the scrape of <paramref name="kind"/> is predicted (negative once overdue); null when it is not.
    /// Zero while a scrape that arrived during the preparation running now waits for it (<see cref="InFlight"/>), of any
    /// kind and whether or not predicted: until the cadence is known, preparations repeat at a period of their own, which
    /// can match the scraper's interval, and a first warm scrape of the GitLab-sized host that arrived as one started
    /// waited for it and then for its collection too (100 ms, docs/benchmarks.md).
    /// </summary>
    public TimeSpan? UntilPredictedScrape(int kind)
    {
        lock (_gate)
        {
            if (_running is not null && _arrived != _runningScheduledAfter)
            {
                return TimeSpan.Zero;
            }

            if (_predictedAt != 0)
            {
                return kind == _predictedKind ? TimeSpan.FromMilliseconds(_predictedAt - NowMs()) : null;
            }

            // A guess (a scrape one interval after the last, or a round interval after the only one) is as good as a
            // prediction for leaving a collection to the response, until it has passed.
            return kind == _kind ? _guess.UntilScrape(NowMs()) : null;
        }
    }

    /// <summary>A scrape of <paramref name="kind"/> arrived: the preparation not yet started is not needed any more.</summary>
    public void Arrived(int kind)
    {
        lock (_gate)
        {
            long now = NowMs();
            _cadence.Arrived(kind, now);
            _arrived++;
            if (_dueAt != 0 && now >= _dueAt)
            {
                // The timer has not started the preparation yet that was due by now: it is at least this late.
                _lateness.Record(now - _dueAt);
            }

            if (CollectionStageTimes.Written)
            {
                // Negative: the scrape came before the time predicted for it. The kind tells one scraper's lines from another's.
                CollectionStageTimes.WriteNote(_predictedAt != 0 && kind == _predictedKind
                    ? string.Create(CultureInfo.InvariantCulture, $"chorus scrape ms: from prediction={now - _predictedAt} kind={kind}")
                    : string.Create(CultureInfo.InvariantCulture, $"chorus scrape ms: unpredicted kind={kind}"));
            }

            _dueAt = 0;
            if (!_disposed)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>A scrape of <paramref name="kind"/> was answered, <paramref name="took"/> after it arrived: schedules the next one's preparation.</summary>
    public void Answered(int kind, TimeSpan took)
    {
        long now = NowMs();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _collectedAt = now;
            var lead = new PreparationLead(took, TimeSpan.FromMilliseconds(Volatile.Read(ref _preparedInMs)), 0, _lateness.Worst, Volatile.Read(ref _preparedOverMs));
            if (TryPredictSoonest(lead, now, out int predictedKind, out long next, out long? delay))
            {
                _repeatEveryMs = 0;
                _guess.Clear();
                _predictedAt = next;
                _predictedKind = predictedKind;
                LastDelay = delay;
            }
            else
            {
                _predictedAt = 0;
                _predictedKind = -1;
                _repeatEveryMs = RepeatPeriod(lead.PreparedIn);
                _answeredAt = now;
                _answeredLead = lead;
                _guess.Guess(_cadence, kind, lead, _repeatEveryMs, after: 0, now);
                LastDelay = _guess.NextPreparation(_repeatEveryMs, now);
            }

            if (LastDelay is { } due)
            {
                _kind = _predictedKind >= 0 ? _predictedKind : kind;
                _scheduledAfter = _arrived;
                _dueAt = now + due;
                _timer.Change(TimeSpan.FromMilliseconds(due), Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// Of the kinds whose cadence is known, the one whose next scrape's preparation is due first (from
    /// <paramref name="now"/>, <paramref name="delay"/>; null when every known cadence's scrape is too close or too
    /// fast to prepare). Another client's scrapes between a Prometheus server's leave its cadence known, and its
    /// preparation is scheduled again after each of them. False when no kind's cadence is known.
    /// </summary>
    private bool TryPredictSoonest(PreparationLead lead, long now, out int kind, out long next, out long? delay)
    {
        (kind, next, delay) = (-1, 0, null);
        for (int i = 0; i < _cadence.KindCount; i++)
        {
            if (!_cadence.TryPredictAt(i, out int candidate, out long at, out long interval, out long jitter) || at <= now)
            {
                // Overdue: that scraper missed a scrape or went away, and its cadence predicts nothing until it is back.
                continue;
            }

            long? due = DelayUntilPreparing(at, interval, lead with { JitterMs = jitter }, now);
            if (kind < 0 || (due is { } sooner && (delay is not { } best || sooner < best)))
            {
                (kind, next, delay) = (candidate, at, due);
            }
        }

        return kind >= 0;
    }

    /// <summary>
    /// How often (milliseconds) a scrape whose cadence is unknown is prepared: <see cref="UnknownCadencePeriod"/>, or
    /// <see cref="MaxDutyCycle"/> times the last preparation's own time when that is longer. The preparation is what
    /// repeats, so its own time is what bounds their share of the cores, not the scrape's: a server's first scrapes
    /// (the cold one, then those that take in the writers' change maps, 150–250 ms of the GitLab-sized host with every
    /// body compressed anew) took ten to twenty times what its preparations then took (60–100 ms), and the period made
    /// of them put the first preparation 5–40 s after the answer, past the next scrape (116 ms, docs/benchmarks.md). So
    /// the first preparation a process runs comes after <see cref="UnknownCadencePeriod"/>, however long the scrape
    /// took, and its own time sets the period from then on.
    /// </summary>
    /// <param name="preparedIn">The last preparation's own time; zero before the first.</param>
    public static long RepeatPeriod(TimeSpan preparedIn) =>
        Math.Max((long)UnknownCadencePeriod.TotalMilliseconds, CeilingMs(preparedIn) * MaxDutyCycle);

    /// <summary>
    /// How long from <paramref name="now"/> the preparation of a scrape due at <paramref name="next"/> starts (milliseconds),
    /// or null: the interval is too short for the last scrape's time, or it is too late to start.
    /// </summary>
    /// <param name="next">When the scrape is due.</param>
    /// <param name="interval">The scraper's interval.</param>
    /// <param name="lead">What sets the lead.</param>
    /// <param name="now">Now, just after a collection.</param>
    /// <param name="gatheringMs">
    /// How long the changes the preparation takes in will have gathered when it starts (<see cref="PreparationLead.ExpectedPreparationMs"/>):
    /// <paramref name="next"/> - <paramref name="now"/> unless preparations repeat in between.
    /// </param>
    public static long? DelayUntilPreparing(long next, long interval, PreparationLead lead, long now, long? gatheringMs = null)
    {
        long tookMs = CeilingMs(lead.Took);
        if (interval < tookMs * MaxDutyCycle)
        {
            return null;
        }

        long ahead = Math.Max((long)MinimumLead.TotalMilliseconds, tookMs * LeadPerScrape);
        ahead = Math.Max(ahead, lead.ExpectedPreparationMs(gatheringMs ?? next - now) * LeadPerPreparation);
        ahead = Math.Max(ahead, lead.JitterMs * LeadPerJitter);
        ahead = Math.Max(ahead, lead.LateMs * LeadPerLateness);
        long due = next - Math.Min(interval / 4, ahead) - now;
        return due > 0 ? due : null;
    }

    /// <summary><paramref name="time"/> in whole milliseconds, rounded up, at least 1.</summary>
    internal static long CeilingMs(TimeSpan time) => Math.Max(1, (long)Math.Ceiling(time.TotalMilliseconds));

    // Milliseconds on the provider's monotonic clock (Stopwatch's for the system's, not the coarse Environment.TickCount64:
    // a lead of a few tens of milliseconds needs the scraper's jitter measured finer than that).
    private long NowMs() => _time.GetElapsedTime(0, _time.GetTimestamp()).Ticks / TimeSpan.TicksPerMillisecond;

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }

    /// <summary>Runs the preparation scheduled, unless a scrape arrived since it was scheduled (the timer's callback; tests).</summary>
    internal void RunIfStillDue()
    {
        int kind;
        long scheduledAfter;
        long gathered;
        TaskCompletionSource running;
        lock (_gate)
        {
            if (_disposed || _arrived != _scheduledAfter)
            {
                return;
            }

            kind = _kind;
            scheduledAfter = _scheduledAfter;
            gathered = NowMs() - _collectedAt;
            running = _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _runningScheduledAfter = scheduledAfter;
            if (_dueAt != 0)
            {
                long now = NowMs();
                _lateness.Record(now - _dueAt);
                if (CollectionStageTimes.Written)
                {
                    CollectionStageTimes.WriteNote(string.Create(
                        CultureInfo.InvariantCulture,
                        $"chorus preparation ms: late={now - _dueAt} ahead={(_predictedAt != 0 ? _predictedAt - now : _guess.ScrapeAt > now ? $"~{_guess.ScrapeAt - now}" : "unknown")}"));
                }

                _dueAt = 0;
            }
        }

        long started = _time.GetTimestamp();
        try
        {
            _prepare(kind);
            Volatile.Write(ref _preparedInMs, (long)Math.Ceiling(_time.GetElapsedTime(started).TotalMilliseconds));
            Volatile.Write(ref _preparedOverMs, gathered);
        }
        catch (Exception e)
        {
            _failed(e);
        }
        finally
        {
            Interlocked.Increment(ref _runs);
            lock (_gate)
            {
                _running = null;
                _collectedAt = NowMs();
            }

            running.SetResult();
        }

        RepeatWhileCadenceUnknown(scheduledAfter);
    }

    /// <summary>
    /// Schedules the next preparation of a scrape whose cadence is unknown, unless a scrape arrived since
    /// <paramref name="scheduledAfter"/> arrivals (its answer schedules anew) or the horizon has passed.
    /// </summary>
    private void RepeatWhileCadenceUnknown(long scheduledAfter)
    {
        lock (_gate)
        {
            if (_disposed || _repeatEveryMs == 0 || _arrived != scheduledAfter)
            {
                return;
            }

            TimeSpan preparedIn = TimeSpan.FromMilliseconds(Volatile.Read(ref _preparedInMs));
            _repeatEveryMs = RepeatPeriod(preparedIn);
            long now = NowMs();
            if (_guess.PreparationDue(now))
            {
                // The preparation that just ran is as fresh as the one guessed would be (or was it, a timer fired early):
                // the guess moves on to a later scrape, if there is one. (None yet, it may be one now the period grew.)
                PreparationLead lead = _answeredLead with { PreparedIn = preparedIn, LateMs = _lateness.Worst, PreparedOverMs = Volatile.Read(ref _preparedOverMs) };
                _guess.Guess(_cadence, _kind, lead, _repeatEveryMs, after: _guess.ScrapeAt, now);
            }

            long due = _guess.NextPreparation(_repeatEveryMs, now);
            if (now - _answeredAt + due <= (long)UnknownCadenceHorizon.TotalMilliseconds)
            {
                _dueAt = now + due;
                _timer.Change(TimeSpan.FromMilliseconds(due), Timeout.InfiniteTimeSpan);
            }
        }
    }
}
