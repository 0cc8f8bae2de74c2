using Microsoft.Extensions.Time.Testing;

namespace Chorus.Tests.AspNetCore;

/// <summary>Moves a <see cref="FakeTimeProvider"/> on a millisecond at a time, so each timer runs when it is due.</summary>
/// <remarks>
/// One <see cref="FakeTimeProvider.Advance"/> runs every timer it passes with the clock at its end
/// (dotnet/extensions#5722): to a <see cref="Chorus.AspNetCore.Http.ScrapePreparation"/>, a timer that fired late.
/// Tests that mean a late timer jump with <see cref="FakeTimeProvider.Advance"/> on purpose.
/// </remarks>
internal static class SteppedTime
{
    public static void AdvanceInSteps(this FakeTimeProvider time, TimeSpan by)
    {
        TimeSpan step = TimeSpan.FromMilliseconds(1);
        for (; by >= step; by -= step)
        {
            time.Advance(step);
        }

        time.Advance(by);
    }
}
