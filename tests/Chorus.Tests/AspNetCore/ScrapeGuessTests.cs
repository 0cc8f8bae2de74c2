using Chorus.AspNetCore.Http;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// The next scrape guessed while the cadence is unknown: one interval after the last once one is known, else a round
/// interval after the only scrape seen, but only while the preparations' period is stretched past a second.
/// </summary>
public sealed class ScrapeGuessTests
{
    private const int Kind = 1;
    private const long Stretched = 8_000;
    private static readonly PreparationLead Lead = new(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(400), 0, 0);

    [Fact]
    public void AScraperSeenOnce_IsGuessedAtTheFirstRoundIntervalThereIsTimeToPrepareFor()
    {
        var cadence = new ScrapeCadence(TimeSpan.FromSeconds(1));
        cadence.Arrived(Kind, 0);
        var guess = new ScrapeGuess();

        // 5 s is under twenty times a 400 ms preparation; 10 s is not, and is prepared for three preparations ahead
        // (the cold scrape's 2 s say nothing of the next one's work).
        guess.Guess(cadence, Kind, Lead, Stretched, after: 0, now: 1_400);
        Assert.Equal((10_000, 8_800), (guess.ScrapeAt, guess.PreparationAt));
        Assert.Equal(7_400, guess.NextPreparation(Stretched, 1_400));
        Assert.Equal(TimeSpan.FromMilliseconds(8_600), guess.UntilScrape(1_400));

        // Once that preparation ran, the next round interval.
        Assert.True(guess.PreparationDue(8_800));
        guess.Guess(cadence, Kind, Lead, Stretched, after: guess.ScrapeAt, now: 9_200);
        Assert.Equal((15_000, 13_800), (guess.ScrapeAt, guess.PreparationAt));
        Assert.Null(guess.UntilScrape(15_000));
    }

    [Fact]
    public void WhilePreparationsRepeatEverySecond_NoRoundIntervalIsGuessed()
    {
        var cadence = new ScrapeCadence(TimeSpan.FromSeconds(1));
        cadence.Arrived(Kind, 0);
        var guess = new ScrapeGuess();

        guess.Guess(cadence, Kind, Lead, periodMs: 1_000, after: 0, now: 1_400);

        Assert.Equal((0, 0), (guess.ScrapeAt, guess.PreparationAt));
        Assert.Equal(1_000, guess.NextPreparation(1_000, 1_400));
        Assert.Null(guess.UntilScrape(1_400));
    }

    [Fact]
    public void OnceOneIntervalIsSeen_ItIsGuessedToRepeat_Once()
    {
        var cadence = new ScrapeCadence(TimeSpan.FromSeconds(1));
        cadence.Arrived(Kind, 0);
        cadence.Arrived(Kind, 7_000);
        var guess = new ScrapeGuess();
        var lead = Lead with { Took = TimeSpan.FromMilliseconds(50) };

        guess.Guess(cadence, Kind, lead, Stretched, after: 0, now: 7_100);
        Assert.Equal((14_000, 13_200), (guess.ScrapeAt, guess.PreparationAt));

        // Not a round interval after it, nor the same scrape again.
        guess.Guess(cadence, Kind, lead, Stretched, after: guess.ScrapeAt, now: 13_600);
        Assert.Equal((0, 0), (guess.ScrapeAt, guess.PreparationAt));
    }

    [Fact]
    public void AKindNotFollowed_IsNotGuessed()
    {
        var guess = new ScrapeGuess();

        guess.Guess(new ScrapeCadence(TimeSpan.FromSeconds(1)), Kind, Lead, Stretched, after: 0, now: 0);

        Assert.Equal((0, 0), (guess.ScrapeAt, guess.PreparationAt));
    }
}
