using Chorus.AspNetCore.Http;

namespace Chorus.Tests.AspNetCore;

/// <summary>The preparation starts earlier when it took longer itself, so it is still done before the scrape.</summary>
public sealed class ScrapePreparationTests
{
    private const int Kind = 1;

    [Fact]
    public async Task APreparationThatTookLong_StartsTheNextOneEarlier()
    {
        // Scrapes one second apart on the preparation's clock (one reading per arrival and per answer).
        var clock = new ScriptedClock(0, 1, 1_000, 1_001, 2_000, 2_001, 3_000, 3_001);
        using var preparation = new ScrapePreparation(
            TimeSpan.FromSeconds(1),
            _ => Thread.Sleep(110),
            e => Assert.Fail(e.ToString()),
            clock.Now);
        for (int scrape = 0; scrape < 3; scrape++)
        {
            preparation.Arrived(Kind);
            preparation.Answered(Kind, TimeSpan.FromMilliseconds(1));
        }

        // The least lead before any preparation ran.
        Assert.Equal(1_000 - 1 - (long)ScrapePreparation.MinimumLead.TotalMilliseconds, preparation.LastDelay);
        for (int waited = 0; preparation.Runs == 0 && waited < 30_000; waited += 10)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, preparation.Runs);

        preparation.Arrived(Kind);
        preparation.Answered(Kind, TimeSpan.FromMilliseconds(1));

        // Twice the 110+ ms the preparation took, within the quarter of the interval.
        Assert.InRange(preparation.LastDelay!.Value, 1_000 - 1 - 250, 1_000 - 1 - 220);
    }

    [Fact]
    public void ACallbackOnItsWayWhenAScrapeArrives_PreparesNothing()
    {
        var clock = new ScriptedClock(0, 1, 1_000, 1_001, 2_000, 2_001, 2_990);
        int prepared = 0;
        using var preparation = new ScrapePreparation(TimeSpan.FromSeconds(1), _ => prepared++, e => Assert.Fail(e.ToString()), clock.Now);
        for (int scrape = 0; scrape < 3; scrape++)
        {
            preparation.Arrived(Kind);
            preparation.Answered(Kind, TimeSpan.FromMilliseconds(1));
        }

        // The timer's callback runs late, after the scrape it was for arrived (and cancelled the timer).
        preparation.Arrived(Kind);
        preparation.RunIfStillDue();
        Assert.Equal((0, 0), (prepared, preparation.Runs));
    }
}
