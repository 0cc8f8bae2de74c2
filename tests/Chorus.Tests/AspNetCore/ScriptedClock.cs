namespace Chorus.Tests.AspNetCore;

/// <summary>A clock that reads the times given, one per call, then stays at the last.</summary>
internal sealed class ScriptedClock(params long[] times)
{
    private int _next;

    public long Now()
    {
        int at = Interlocked.Increment(ref _next) - 1;
        return times[Math.Min(at, times.Length - 1)];
    }
}
