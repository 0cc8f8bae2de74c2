namespace Chorus.AspNetCore.Http;

/// <summary>
/// How late the last few preparations started after the time their timer was set for, in whole milliseconds: a timer fires
/// late on a busy machine (other processes on every core, a thread pool woken from idle), and a preparation that starts
/// after its scrape arrived is cancelled, leaving the whole interval's changes to the scrape.
/// </summary>
/// <remarks>Not thread-safe: <see cref="ScrapePreparation"/> uses it under its lock.</remarks>
internal sealed class TimerLateness
{
    /// <summary>How many of the latest preparations count: a spike is covered for that many, then forgotten.</summary>
    public const int Remembered = 8;

    private readonly long[] _late = new long[Remembered];
    private int _next;

    /// <summary>The highest of the <see cref="Remembered"/> latest values recorded, in milliseconds; 0 before any.</summary>
    public long Worst { get; private set; }

    /// <summary>A preparation started <paramref name="lateMs"/> after its time (0 or less: on time).</summary>
    public void Record(long lateMs)
    {
        _late[_next] = Math.Max(0, lateMs);
        _next = (_next + 1) % Remembered;
        Worst = _late.Max();
    }
}
