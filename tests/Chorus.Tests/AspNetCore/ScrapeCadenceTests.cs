using Chorus.AspNetCore.Http;
using FsCheck;
using FsCheck.Xunit;

namespace Chorus.Tests.AspNetCore;

public sealed class ScrapeCadenceTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void SteadyScrapes_PredictTheNextOneIntervalAfterTheLast()
    {
        var cadence = new ScrapeCadence(Second);
        foreach (long at in new long[] { 100, 15_100, 30_103, 45_099 })
        {
            cadence.Arrived(kind: 3, at);
        }

        Assert.True(cadence.TryPredict(3, out long next, out long interval, out long jitter));
        Assert.Equal(14_996, interval);
        Assert.Equal(45_099 + 14_996, next);
        Assert.Equal(15_003 - 14_996, jitter);
    }

    [Fact]
    public void TooFewScrapes_PredictNothing()
    {
        var cadence = new ScrapeCadence(Second);
        foreach (long at in new long[] { 0, 5_000 })
        {
            cadence.Arrived(kind: 1, at);
        }

        Assert.False(cadence.TryPredict(1, out _, out _, out _));
        cadence.Arrived(1, 10_000);
        Assert.True(cadence.TryPredict(1, out _, out _, out _));
    }

    [Fact]
    public void OneIntervalLongEnough_GuessesTheNextScrape_OfThatKindOnly()
    {
        var cadence = new ScrapeCadence(Second);
        cadence.Arrived(kind: 1, 0);
        Assert.False(cadence.TryGuess(1, out _, out _));
        cadence.Arrived(kind: 1, 949);
        Assert.False(cadence.TryGuess(1, out _, out _));
        cadence.Arrived(kind: 1, 8_000);

        Assert.True(cadence.TryGuess(1, out long next, out long interval));
        Assert.Equal((15_051, 7_051), (next, interval));
        Assert.False(cadence.TryGuess(2, out _, out _));
        Assert.False(cadence.TryPredict(1, out _, out _, out _));
    }

    [Theory]
    [InlineData(15_000 + 750, true)]   // within a twentieth of the shorter interval
    [InlineData(15_000 + 751, false)]
    [InlineData(15_000 - 712, true)]
    [InlineData(15_000 - 751, false)]
    public void AnIntervalOffTheOther_PredictsNothing(long second, bool predicted)
    {
        var cadence = new ScrapeCadence(Second);
        long[] arrivals = [0, 15_000, 15_000 + second];
        foreach (long at in arrivals)
        {
            cadence.Arrived(kind: 0, at);
        }

        Assert.Equal(predicted, cadence.TryPredict(0, out _, out _, out _));
    }

    [Fact]
    public void ScrapesOfAnotherKindInBetween_LeaveEachKindsCadence()
    {
        var cadence = new ScrapeCadence(Second);

        // Kind 1 every 2 s, kind 2 (another client, another format) every 3 s from 0.5 s, and a person's kind 3 once.
        (int Kind, long At)[] arrivals = [(1, 0), (2, 500), (1, 2_000), (3, 2_100), (2, 3_500), (1, 4_000), (1, 6_000), (2, 6_500)];
        foreach ((int kind, long at) in arrivals)
        {
            cadence.Arrived(kind, at);
        }

        Assert.True(cadence.TryPredict(1, out long next, out long interval, out _));
        Assert.Equal((8_000, 2_000), (next, interval));
        Assert.True(cadence.TryPredict(2, out next, out interval, out _));
        Assert.Equal((9_500, 3_000), (next, interval));
        Assert.False(cadence.TryPredict(3, out _, out _, out _));
        Assert.False(cadence.TryPredict(4, out _, out _, out _));
        Assert.Equal(3, cadence.KindCount);
    }

    [Fact]
    public void AKindBeyondTheMost_ReplacesTheKindScrapedLeastRecently()
    {
        var cadence = new ScrapeCadence(Second);
        foreach (long at in new long[] { 0, 2_000, 4_000 })
        {
            for (int kind = 0; kind < ScrapeCadence.MaxKinds; kind++)
            {
                cadence.Arrived(kind, at + (kind * 10));
            }
        }

        cadence.Arrived(ScrapeCadence.MaxKinds, 5_000);

        Assert.Equal(ScrapeCadence.MaxKinds, cadence.KindCount);
        Assert.False(cadence.TryPredict(0, out _, out _, out _));
        for (int kind = 1; kind < ScrapeCadence.MaxKinds; kind++)
        {
            Assert.True(cadence.TryPredict(kind, out long next, out _, out _));
            Assert.Equal(6_000 + (kind * 10), next);
        }
    }

    [Theory]
    [InlineData(new long[] { 0, 500, 1_000, 1_500 })]
    [InlineData(new long[] { 0, 949, 1_898, 2_847 })]   // short of the minimum by more than a twentieth of it
    public void ScrapesFasterThanTheMinimumInterval_AreNotACadence(long[] arrivals)
    {
        var cadence = new ScrapeCadence(Second);
        foreach (long at in arrivals)
        {
            cadence.Arrived(kind: 0, at);
        }

        Assert.False(cadence.TryPredict(0, out _, out _, out _));
        Assert.False(cadence.TryGuess(0, out _, out _));
    }

    [Theory]
    [InlineData(new long[] { 0, 999, 1_998, 2_997 }, 3_996)]                            // one scraper a millisecond short of it
    [InlineData(new long[] { 0, 300, 999, 1_300, 1_998, 2_301 }, 2_999)]                // a pair
    [InlineData(new long[] { 0, 951, 1_902, 2_853 }, 3_804)]                            // within a twentieth of it
    public void ScrapersAtTheMinimumInterval_MeasuredJustUnderIt_AreACadence(long[] arrivals, long next)
    {
        var cadence = new ScrapeCadence(Second);
        foreach (long at in arrivals)
        {
            cadence.Arrived(kind: 0, at);
        }

        Assert.True(cadence.TryPredict(0, out long predicted, out _, out _));
        Assert.Equal(next, predicted);
    }

    [Fact]
    public void OnlyTheLastIntervalsCount()
    {
        var cadence = new ScrapeCadence(Second);
        foreach (long at in new long[] { 0, 60_000, 61_000, 66_000, 71_000, 76_000 })
        {
            cadence.Arrived(kind: 0, at);
        }

        Assert.True(cadence.TryPredict(0, out long next, out long interval, out long jitter));
        Assert.Equal((81_000L, 5_000L, 0L), (next, interval, jitter));
    }

    [Property(MaxTest = 300)]
    public void AnySteadyCadence_IsPredicted_WithinItsJitter(PositiveInt intervalSeconds, byte[] jitters)
    {
        long interval = 1_000L * (1 + Math.Min(intervalSeconds.Get, 600));
        var cadence = new ScrapeCadence(Second);
        long at = 1_000;
        for (int i = 0; i <= ScrapeCadence.AgreeingIntervals; i++)
        {
            // Up to 10 ms either way, as a scraper's timer and the network move a scrape.
            long jitter = jitters is { Length: var n } && n > i ? (jitters[i] % 21) - 10 : 0;
            cadence.Arrived(kind: 5, at + jitter);
            at += interval;
        }

        Assert.True(cadence.TryPredict(5, out long next, out long predicted, out long spread));
        Assert.InRange(predicted, interval - 20, interval + 20);
        Assert.InRange(spread, 0, 40);
        Assert.InRange(next, at - 30, at + 30);
    }

    [Theory]
    [InlineData(new long[] { 0, 4_000, 15_000, 19_000, 30_000 }, 34_000, 4_000)]                    // a Prometheus pair
    [InlineData(new long[] { 0, 4_000, 15_000, 19_000, 30_000, 34_000 }, 45_000, 11_000)]
    [InlineData(new long[] { 0, 4_010, 14_990, 19_000, 30_005 }, 34_015, 4_010)]                    // with jitter
    [InlineData(new long[] { 0, 2_000, 7_000, 10_000, 12_000, 17_000, 20_000 }, 22_000, 2_000)]    // three scrapers
    public void ScrapersAtOneIntervalFromDifferentOffsets_AreACadence(long[] arrivals, long next, long interval)
    {
        var cadence = new ScrapeCadence(Second);
        foreach (long at in arrivals)
        {
            cadence.Arrived(kind: 0, at);
        }

        Assert.True(cadence.TryPredict(0, out long predicted, out long after, out _));
        Assert.Equal((next, interval), (predicted, after));
    }

    [Theory]
    [InlineData(new long[] { 0, 980, 2_000, 2_980, 4_000 }, 4_980)]             // a pair at 2 s, 980 ms apart: one scraper within the tolerance
    [InlineData(new long[] { 0, 7_400, 15_000, 22_400, 30_000 }, 37_400)]       // a pair at 15 s, 7.4 s apart
    public void APairNearlyHalfAnIntervalApart_IsPredictedAsAPair(long[] arrivals, long next)
    {
        var cadence = new ScrapeCadence(Second);
        foreach (long at in arrivals)
        {
            cadence.Arrived(kind: 0, at);
        }

        Assert.True(cadence.TryPredict(0, out long predicted, out _, out long jitter));
        Assert.Equal((next, 0), (predicted, jitter));
    }

    [Theory]
    [InlineData(new long[] { 0, 4_000, 15_000, 19_000 })]                  // too few for a pair
    [InlineData(new long[] { 0, 4_000, 15_000, 19_000, 31_000 })]          // a pair that disagrees
    [InlineData(new long[] { 0, 200, 500, 700, 1_000, 1_200, 1_500 })]    // two clients in a load test
    [InlineData(new long[] { 0, 5_000, 10_000, 20_000, 25_000 })]          // a scrape missed
    public void ScrapesThatFitNoCadence_PredictNothing(long[] arrivals)
    {
        var cadence = new ScrapeCadence(Second);
        foreach (long at in arrivals)
        {
            cadence.Arrived(kind: 0, at);
        }

        Assert.False(cadence.TryPredict(0, out _, out _, out _));
    }

    [Property(MaxTest = 300)]
    public void AnyPrometheusPair_IsPredicted(PositiveInt intervalSeconds, byte offsetShare, byte[] jitters)
    {
        // The second scraper's offset is 20-40 % of the interval: far from half, where the pair looks like one scraper.
        long interval = 1_000L * (2 + Math.Min(intervalSeconds.Get, 600));
        long offset = interval * (20 + (offsetShare % 21)) / 100;
        var cadence = new ScrapeCadence(Second);
        long[] truth = Enumerable.Range(0, 7).Select(i => (i / 2 * interval) + (i % 2 * offset)).ToArray();
        for (int i = 0; i < 6; i++)
        {
            long jitter = jitters is { Length: var n } && n > i ? (jitters[i] % 21) - 10 : 0;
            cadence.Arrived(kind: 5, truth[i] + jitter);
        }

        Assert.True(cadence.TryPredict(5, out long next, out _, out long spread));
        Assert.InRange(spread, 0, 40);
        Assert.InRange(next, truth[6] - 30, truth[6] + 30);
    }

    [Theory]
    [InlineData(15_000, 1, 0, 0, 0, 5)]         // a fast scrape from a steady scraper, timers on time: the least lead
    [InlineData(15_000, 200, 0, 0, 0, 600)]     // three times the scrape's own time
    [InlineData(15_000, 10, 150, 0, 0, 300)]    // twice the preparation's own time
    [InlineData(15_000, 10, 0, 30, 0, 120)]     // four times the scraper's jitter
    [InlineData(15_000, 1, 0, 0, 12, 24)]       // twice as late as the timer started the latest preparations
    [InlineData(1_000, 10, 200, 0, 0, 250)]      // never more than a quarter of the interval
    [InlineData(1_000, 10, 0, 100, 0, 250)]
    [InlineData(1_000, 1, 0, 0, 400, 250)]
    public void ThePreparation_StartsAheadOfTheScrape_ByItsLead(long interval, int tookMs, int preparedInMs, long jitterMs, long lateMs, long lead)
    {
        var times = new PreparationLead(TimeSpan.FromMilliseconds(tookMs), TimeSpan.FromMilliseconds(preparedInMs), jitterMs, lateMs);
        long? delay = ScrapePreparation.DelayUntilPreparing(next: 100_000 + interval, interval, times, now: 100_000);
        Assert.Equal(interval - lead, delay);
    }

    [Fact]
    public void NoPreparation_WhenTheScrapeTakesTooLargeAShareOfTheInterval_OrItIsTooLate()
    {
        Assert.Null(ScrapePreparation.DelayUntilPreparing(next: 2_000, interval: 2_000, Took(101), now: 0));
        Assert.NotNull(ScrapePreparation.DelayUntilPreparing(next: 2_000, interval: 2_000, Took(100), now: 0));
        Assert.Null(ScrapePreparation.DelayUntilPreparing(next: 2_000, interval: 2_000, Took(10), now: 1_990));
    }

    private static PreparationLead Took(int milliseconds) => new(TimeSpan.FromMilliseconds(milliseconds), TimeSpan.Zero, 0, 0);
}
