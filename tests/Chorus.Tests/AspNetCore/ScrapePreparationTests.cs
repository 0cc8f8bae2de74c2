using Chorus.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// When the next scrape is prepared: shortly before it is due once the cadence is known, earlier when preparing took
/// longer; every second for a while until the cadence is known; never for a scrape that came already.
/// </summary>
public sealed class ScrapePreparationTests
{
    private const int Kind = 1;
    private static readonly TimeSpan Took = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly long LeastLead = (long)ScrapePreparation.MinimumLead.TotalMilliseconds;

    [Fact]
    public void APreparationThatTookLong_StartsTheNextOneEarlier()
    {
        var time = new FakeTimeProvider();
        TimeSpan preparing = TimeSpan.Zero;
        using var preparation = new ScrapePreparation(Second, _ => time.AdvanceInSteps(preparing), e => Assert.Fail(e.ToString()), time);
        var took = TimeSpan.FromMilliseconds(40);
        ScrapesTenSecondsApart(preparation, time, 3, took);

        // Three times the scrape's 40 ms, since no preparation took any time yet.
        Assert.Equal(10_000 - 120, preparation.LastDelay);
        preparing = TimeSpan.FromMilliseconds(110);
        int before = preparation.Runs;
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(preparation.LastDelay!.Value));
        Assert.Equal(before + 1, preparation.Runs);

        time.AdvanceInSteps(TimeSpan.FromMilliseconds(10_000 - preparation.LastDelay!.Value) - preparing);
        Scrape(preparation, took);

        // Twice the 110 ms the preparation took, within the quarter of the interval.
        Assert.Equal(10_000 - 220, preparation.LastDelay);
    }

    [Fact]
    public void ATimerThatFiredLate_StartsTheNextPreparationsEarlier_UntilTimersAreOnTimeAgain()
    {
        const int Late = 4;
        var time = new FakeTimeProvider();
        using var preparation = new ScrapePreparation(Second, _ => { }, e => Assert.Fail(e.ToString()), time);
        ScrapesTenSecondsApart(preparation, time, 3);
        Assert.Equal(10_000 - LeastLead, preparation.LastDelay);

        // The timer starts the preparation 4 ms after it was due (one jump of the clock past it), then the scrape comes.
        int before = preparation.Runs;
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(10_000 - LeastLead - 2));
        Assert.Equal(before, preparation.Runs);
        time.Advance(TimeSpan.FromMilliseconds(2 + Late));
        Assert.Equal(before + 1, preparation.Runs);
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(LeastLead - Late));
        Scrape(preparation);
        Assert.Equal(10_000 - (ScrapePreparation.LeadPerLateness * Late), preparation.LastDelay);

        // Timers on time again: the lateness counts for as many preparations as are remembered, then the least lead is back.
        for (int scrape = 1; scrape < TimerLateness.Remembered; scrape++)
        {
            time.AdvanceInSteps(TimeSpan.FromSeconds(10));
            Scrape(preparation);
            Assert.Equal(10_000 - (ScrapePreparation.LeadPerLateness * Late), preparation.LastDelay);
        }

        time.AdvanceInSteps(TimeSpan.FromSeconds(10));
        Scrape(preparation);
        Assert.Equal(10_000 - LeastLead, preparation.LastDelay);
        Assert.Equal(before + TimerLateness.Remembered + 1, preparation.Runs);
    }

    [Fact]
    public void APreparationThatAScrapeOvertook_StartsTheNextOnesEarlier()
    {
        var time = new HeldTimers();
        using var preparation = new ScrapePreparation(Second, _ => { }, e => Assert.Fail(e.ToString()), time);
        ScrapesTenSecondsApart(preparation, time, 3);
        Assert.Equal(10_000 - LeastLead, preparation.LastDelay);

        // The scrape arrives on time, a least lead after its preparation was due, and the timer has not started it yet.
        int before = preparation.Runs;
        time.Held = true;
        time.AdvanceInSteps(TimeSpan.FromSeconds(10));
        Scrape(preparation);
        Assert.Equal(before, preparation.Runs);
        Assert.Equal(10_000 - (ScrapePreparation.LeadPerLateness * LeastLead), preparation.LastDelay);
    }

    [Fact]
    public async Task AScrapeArrivingDuringAPreparation_FindsItInFlight_UntilItIsDone()
    {
        var time = new FakeTimeProvider();
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        bool blocks = false;
        using var preparation = new ScrapePreparation(
            Second,
            _ =>
            {
                if (Volatile.Read(ref blocks))
                {
                    started.Set();
                    release.Wait();
                }
            },
            e => Assert.Fail(e.ToString()),
            time);
        ScrapesTenSecondsApart(preparation, time, 3);
        Assert.True(preparation.InFlight.IsCompleted);
        int before = preparation.Runs;
        Volatile.Write(ref blocks, true);

        // The timer's callback, on a thread of its own: the preparation blocks until released.
        Task callback = Task.Run(preparation.RunIfStillDue);
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "the preparation did not start");
        Task inFlight = preparation.InFlight;
        preparation.Arrived(Kind);
        Assert.False(inFlight.IsCompleted);

        release.Set();
        await inFlight.WaitAsync(TimeSpan.FromSeconds(30));
        await callback.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(preparation.InFlight.IsCompleted);
        Assert.Equal(before + 1, preparation.Runs);
    }

    [Fact]
    public void ACallbackOnItsWayWhenAScrapeArrives_PreparesNothing()
    {
        var time = new FakeTimeProvider();
        int prepared = 0;
        using var preparation = new ScrapePreparation(Second, _ => prepared++, e => Assert.Fail(e.ToString()), time);
        ScrapesTenSecondsApart(preparation, time, 3);
        int before = prepared;

        // The timer's callback runs late, after the scrape it was for arrived (and cancelled the timer).
        time.AdvanceInSteps(TimeSpan.FromSeconds(9));
        preparation.Arrived(Kind);
        preparation.RunIfStillDue();
        Assert.Equal(before, prepared);
        Assert.Equal(before, preparation.Runs);
    }

    [Fact]
    public void APreparation_KnowsHowLongUntilItsScrape_OnceTheCadenceIsKnown_NotWhilePreparationsRepeatEverySecond()
    {
        // What a preparation's collection decides by (GarbageCollectionBetweenScrapes.AfterPreparation).
        var time = new FakeTimeProvider();
        var seen = new List<TimeSpan?>();
        ScrapePreparation? self = null;
        using var preparation = new ScrapePreparation(Second, kind => seen.Add(self!.UntilPredictedScrape(kind)), e => Assert.Fail(e.ToString()), time);
        self = preparation;

        Scrape(preparation);
        time.AdvanceInSteps(Second);
        Assert.Equal([null], seen);

        time.AdvanceInSteps(TimeSpan.FromSeconds(9));
        ScrapesTenSecondsApart(preparation, time, 2);
        seen.Clear();
        long lead = 10_000 - preparation.LastDelay!.Value;
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(preparation.LastDelay!.Value));
        TimeSpan? until = Assert.Single(seen);
        Assert.NotNull(until);
        Assert.InRange(until.Value.TotalMilliseconds, lead - 1, lead + 1);
        Assert.InRange(lead, LeastLead, 100);
        Assert.Null(preparation.UntilPredictedScrape(Kind + 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void APreparationThatAScrapeArrivedDuring_HasNoTimeLeftBeforeIt(bool cadenceKnown)
    {
        // The scrape waits for the preparation (InFlight), so its collection would be waited for too.
        var time = new FakeTimeProvider();
        var seen = new List<TimeSpan?>();
        bool arrives = false;
        ScrapePreparation? self = null;
        using var preparation = new ScrapePreparation(
            Second,
            kind =>
            {
                if (arrives)
                {
                    self!.Arrived(kind + 1);
                }

                seen.Add(self!.UntilPredictedScrape(kind));
            },
            e => Assert.Fail(e.ToString()),
            time);
        self = preparation;
        if (cadenceKnown)
        {
            ScrapesTenSecondsApart(preparation, time, 3);
        }
        else
        {
            Scrape(preparation);
        }

        // Of another kind, even: any scrape waits for the preparation running.
        seen.Clear();
        arrives = true;
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(preparation.LastDelay!.Value));
        Assert.Equal([TimeSpan.Zero], seen);

        // Once it is done nothing waits for it, and what is left is the prediction, if there is one.
        Assert.Equal(cadenceKnown, preparation.UntilPredictedScrape(Kind) is { } until && until > TimeSpan.Zero);
    }

    [Fact]
    public void UntilTheCadenceIsKnown_TheNextScrapeIsPreparedEverySecond_ForTheHorizon()
    {
        var time = new FakeTimeProvider();
        using var preparation = new ScrapePreparation(Second, _ => { }, e => Assert.Fail(e.ToString()), time);
        Scrape(preparation);
        Assert.Equal(1_000, preparation.LastDelay);

        for (int second = 1; second <= 120; second++)
        {
            time.AdvanceInSteps(Second);
            Assert.Equal(Math.Min(second, (int)ScrapePreparation.UnknownCadenceHorizon.TotalSeconds), preparation.Runs);
        }

        // Another scrape whose cadence is still unknown starts them again.
        Scrape(preparation);
        time.AdvanceInSteps(Second);
        Assert.Equal(66, preparation.Runs);
    }

    [Fact]
    public void AfterOneInterval_TheNextScrapeIsAlsoPreparedJustBeforeItWouldComeAgainAsLate()
    {
        var time = new FakeTimeProvider();
        using var preparation = new ScrapePreparation(Second, _ => { }, e => Assert.Fail(e.ToString()), time);
        ScrapesTenSecondsApart(preparation, time, 2);
        int before = preparation.Runs;
        for (int second = 1; second <= 9; second++)
        {
            time.AdvanceInSteps(Second);
        }

        Assert.Equal(before + 9, preparation.Runs);
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(1_000 - LeastLead - 2));
        Assert.Equal(before + 9, preparation.Runs);

        // The least lead before the guessed arrival ten seconds after the last (the fake timers fire up to a millisecond
        // early); the period starts again from there.
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(2));
        Assert.Equal(before + 10, preparation.Runs);
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(997));
        Assert.Equal(before + 10, preparation.Runs);
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(3));
        Assert.Equal(before + 11, preparation.Runs);
    }

    [Fact]
    public void APrometheusPair_HasEachScrapePreparedJustBeforeIt_AndNothingEverySecond()
    {
        var time = new FakeTimeProvider();
        using var preparation = new ScrapePreparation(Second, _ => { }, e => Assert.Fail(e.ToString()), time);

        // Two scrapers every 15 s, the second 4 s after the first.
        long[] gaps = [4_000, 11_000, 4_000, 11_000];
        Scrape(preparation);
        foreach (long gap in gaps)
        {
            time.AdvanceInSteps(TimeSpan.FromMilliseconds(gap));
            Scrape(preparation);
        }

        Assert.Equal(4_000 - LeastLead, preparation.LastDelay);
        int before = preparation.Runs;
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(4_000 - LeastLead - 1));
        Assert.Equal(before, preparation.Runs);
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(1));
        Assert.Equal(before + 1, preparation.Runs);

        time.AdvanceInSteps(TimeSpan.FromMilliseconds(LeastLead));
        Scrape(preparation);
        Assert.Equal(11_000 - LeastLead, preparation.LastDelay);
    }

    [Fact]
    public void TwoClientsOfDifferentKinds_HaveEachScrapePreparedJustBeforeIt_AsItsOwnKind()
    {
        const int Other = Kind + 1;
        var time = new FakeTimeProvider();
        var prepared = new List<(int Kind, long At)>();
        using var preparation = new ScrapePreparation(Second, kind => prepared.Add((kind, time.GetUtcNow().ToUnixTimeMilliseconds())), e => Assert.Fail(e.ToString()), time);
        long start = time.GetUtcNow().ToUnixTimeMilliseconds();

        // Prometheus every 10 s; another collector asking for another format every 10 s, 4 s after it.
        for (int round = 0; round < 3; round++)
        {
            Scrape(preparation);
            time.AdvanceInSteps(TimeSpan.FromSeconds(4));
            Scrape(preparation, kind: Other);
            time.AdvanceInSteps(TimeSpan.FromSeconds(6));
        }

        // Each answer schedules the other client's scrape, the one that comes next.
        prepared.Clear();
        Scrape(preparation);
        Assert.Equal(4_000 - LeastLead, preparation.LastDelay);
        time.AdvanceInSteps(TimeSpan.FromSeconds(4));
        Scrape(preparation, kind: Other);
        Assert.Equal(6_000 - LeastLead, preparation.LastDelay);
        time.AdvanceInSteps(TimeSpan.FromSeconds(6));

        long round3 = start + 30_000;
        Assert.Equal([(Other, round3 + 4_000 - LeastLead), (Kind, round3 + 10_000 - LeastLead)], prepared);
    }

    [Fact]
    public void AnotherClientAfterAScraperWentAway_HasItsNextScrapePreparedEverySecond()
    {
        const int Other = Kind + 1;
        var time = new FakeTimeProvider();
        using var preparation = new ScrapePreparation(Second, _ => { }, e => Assert.Fail(e.ToString()), time);
        ScrapesTenSecondsApart(preparation, time, 3);
        Assert.Equal(10_000 - LeastLead, preparation.LastDelay);

        // The scraper stops; 25 s after its last scrape a person's scrape finds its cadence overdue, not due.
        time.AdvanceInSteps(TimeSpan.FromSeconds(25));
        Scrape(preparation, kind: Other);

        Assert.Equal(1_000, preparation.LastDelay);
    }

    [Fact]
    public void ScrapesCloserThanThePeriod_LeaveNothingToPrepare()
    {
        var time = new FakeTimeProvider();
        using var preparation = new ScrapePreparation(Second, _ => { }, e => Assert.Fail(e.ToString()), time);
        for (int scrape = 0; scrape < 20; scrape++)
        {
            Scrape(preparation);
            time.AdvanceInSteps(TimeSpan.FromMilliseconds(500));
        }

        Assert.Equal(0, preparation.Runs);
    }

    [Theory]
    [InlineData(0, 1_000)]
    [InlineData(49, 1_000)]
    [InlineData(100, 2_000)]
    [InlineData(300, 6_000)]
    public void WhileTheCadenceIsUnknown_APreparationThatTakesLong_IsRepeatedLessOften(int preparedInMs, long period) =>
        Assert.Equal(period, ScrapePreparation.RepeatPeriod(TimeSpan.FromMilliseconds(preparedInMs)));

    [Fact]
    public void WhileTheCadenceIsUnknown_APreparationsOwnTime_SetsThePeriod_NotTheScrapes()
    {
        // A server's first scrapes take far longer than its preparations then do: the cold one 2 s here.
        var time = new FakeTimeProvider();
        TimeSpan preparing = TimeSpan.FromMilliseconds(150);
        using var preparation = new ScrapePreparation(Second, _ => time.AdvanceInSteps(preparing), e => Assert.Fail(e.ToString()), time);
        Scrape(preparation, TimeSpan.FromSeconds(2));
        Assert.Equal(1_000, preparation.LastDelay);
        time.AdvanceInSteps(Second);
        Assert.Equal(1, preparation.Runs);

        // Twenty times the 150 ms it took (the clock moved on by as much inside it): the next one 3 s after it ended.
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(2_990));
        Assert.Equal(1, preparation.Runs);
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(20));
        Assert.Equal(2, preparation.Runs);

        // Another slow scrape: the preparations' time still sets the period, and it shrinks with them.
        preparing = TimeSpan.FromMilliseconds(10);
        Scrape(preparation, TimeSpan.FromMilliseconds(400));
        Assert.Equal(3_000, preparation.LastDelay);
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(3_000));
        Assert.Equal(3, preparation.Runs);
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(990));
        Assert.Equal(3, preparation.Runs);
        time.AdvanceInSteps(TimeSpan.FromMilliseconds(20));
        Assert.Equal(4, preparation.Runs);
    }

    [Fact]
    public void AScraperSeenOnce_WhilePreparationsTakeLong_HasItsScrapesAtRoundIntervalsPreparedFor()
    {
        // A new server's cold scrape (2 s), then preparations of 400 ms: twenty times that is a period of 8 s, which
        // would leave a scrape 15 s after the first up to 8 s of changes.
        var time = new FakeTimeProvider();
        long start = time.GetUtcNow().ToUnixTimeMilliseconds();
        var started = new List<long>();
        using var preparation = new ScrapePreparation(
            Second,
            _ =>
            {
                started.Add(time.GetUtcNow().ToUnixTimeMilliseconds() - start);
                time.AdvanceInSteps(TimeSpan.FromMilliseconds(400));
            },
            e => Assert.Fail(e.ToString()),
            time);
        Scrape(preparation, TimeSpan.FromSeconds(2));
        time.AdvanceInSteps(TimeSpan.FromSeconds(30));

        // The first a second after the answer. Then before each round interval after the scrape that there is time to
        // prepare for, by three times a preparation's time (5 s is under twenty times it), and every 8 s between them;
        // a guess passed moves on to the next interval.
        Assert.Equal([1_000, 8_800, 13_800, 18_800, 27_200, 28_800], started);

        // The guess stands for the scrape 60 s after the first: a preparation close to it leaves its collection to the
        // scrape (GarbageCollectionBetweenScrapes.AfterPreparation), as for a scrape predicted.
        Assert.Equal(TimeSpan.FromMilliseconds(start + 60_000 - time.GetUtcNow().ToUnixTimeMilliseconds()), preparation.UntilPredictedScrape(Kind));
        Assert.Null(preparation.UntilPredictedScrape(Kind + 1));
    }

    [Fact]
    public void TheFirstPreparationOnceTheCadenceIsKnown_StartsAheadByMoreThanThePreparationsASecondApartTook()
    {
        // Preparations of 50 ms every second while the cadence is unknown; the first once it is known takes in ten
        // seconds of changes, which took the GitLab-sized host three times as long as a second's (docs/benchmarks.md).
        var time = new FakeTimeProvider();
        using var preparation = new ScrapePreparation(Second, _ => time.AdvanceInSteps(TimeSpan.FromMilliseconds(50)), e => Assert.Fail(e.ToString()), time);
        ScrapesTenSecondsApart(preparation, time, 3);
        long lead = (long)preparation.UntilPredictedScrape(Kind)!.Value.TotalMilliseconds - preparation.LastDelay!.Value;

        // Twice the 50 ms scaled by the most, four: not twice 50 ms.
        Assert.Equal(2 * 50 * PreparationLead.MaxGatheringScale, lead);
    }

    [Theory]
    [InlineData(60, 1_200, 15_000, 240)]  // scaled by at most four
    [InlineData(60, 1_200, 3_600, 180)]   // by how much longer the changes gathered
    [InlineData(60, 1_200, 2_400, 60)]    // not under twice as long
    [InlineData(60, 14_000, 15_000, 60)]  // a steady cadence's next preparation
    [InlineData(60, 0, 15_000, 60)]       // not known how long they gathered
    [InlineData(0, 1_000, 15_000, 0)]     // nothing to scale
    public void APreparationsExpectedTime_ScalesTheLastOnes_WithHowLongTheChangesWillHaveGathered(int preparedInMs, long preparedOverMs, long gatheringMs, long expected)
    {
        var lead = new PreparationLead(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(preparedInMs), 0, 0, preparedOverMs);
        Assert.Equal(expected, lead.ExpectedPreparationMs(gatheringMs));
    }

    private static void ScrapesTenSecondsApart(ScrapePreparation preparation, FakeTimeProvider time, int scrapes, TimeSpan? took = null)
    {
        for (int scrape = 0; scrape < scrapes; scrape++)
        {
            if (scrape > 0)
            {
                time.AdvanceInSteps(TimeSpan.FromSeconds(10));
            }

            Scrape(preparation, took);
        }
    }

    private static void Scrape(ScrapePreparation preparation, TimeSpan? took = null, int kind = Kind)
    {
        preparation.Arrived(kind);
        preparation.Answered(kind, took ?? Took);
    }

    /// <summary>A fake clock whose timers do nothing while <see cref="Held"/>: the timer of a busy machine, as late as a test likes.</summary>
    private sealed class HeldTimers : FakeTimeProvider
    {
        public bool Held { get; set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            base.CreateTimer(
                held =>
                {
                    if (!Held)
                    {
                        callback(held);
                    }
                },
                state,
                dueTime,
                period);
    }
}
