namespace Chorus.TestSupport;

/// <summary>Waits for work another thread finishes on its own time: a condition polled until it holds or a deadline passes.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 10 ms and fails the test if it does not hold within 30 s.</summary>
    /// <param name="condition">What the other thread's work makes true.</param>
    public static async Task HoldsAsync(Func<bool> condition)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (!condition() && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "not reached in 30 s");
    }
}
