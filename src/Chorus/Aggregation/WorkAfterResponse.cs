using System.Diagnostics;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <summary>
/// Work a collection leaves for after its response (<see cref="MultiProcessDirectoryOptions.ProbeAfterCollection"/>),
/// because it only spares later collections work and a server's scrape need not wait for it:
/// <list type="bullet">
/// <item>freezing probes: a newly dead worker's files cost a lease probe and their frozen parts' update each;</item>
/// <item>the listing of every name that the next scrape would otherwise make (at 50,000 names, ~30 ms once a minute).</item>
/// </list>
/// The server starts it once the response is sent (run beside it, it took a core from the response on a small machine);
/// probes nobody started are made by the next collection first, and a listing nobody made is made by it too. Not
/// thread-safe: the reader runs it under its lock.
/// </summary>
internal sealed class WorkAfterResponse(
    string directory,
    MultiProcessDirectoryOptions options,
    FrozenFiles frozen,
    DirectoryListing listing,
    LiveFiles liveFiles,
    CollectionStageTimes collectionTimes)
{
    // Times the probes made after a response (a line of their own when stage times are written).
    private readonly CollectionStageTimes _times = new("chorus stages after the response us:");

    // When the last scrape's collection started, and how long after the one before it (0: not known yet): the pace at
    // which the next scrape is expected.
    private long _scrapeStartedAt;
    private long _scrapeGap;
    private int _namesChecked;

    /// <summary>How many listings of every name were made after a response, and found every name as listed.</summary>
    public int NamesChecked => Volatile.Read(ref _namesChecked);

    /// <summary>Whether there is work to do: probes left, or the listing of every name due before the next scrape.</summary>
    public bool Due => options.ProbeAfterCollection && (frozen.ProbesPending || NamesCheckDue());

    /// <summary>Notes when a scrape's collection starts (not a collection ahead), for the pace of scrapes.</summary>
    public void NoteScrapeStarted(long now)
    {
        _scrapeGap = _scrapeStartedAt == 0 ? 0 : now - _scrapeStartedAt;
        _scrapeStartedAt = now;
    }

    /// <summary>Probes the files the last collection left and checks the names when due.</summary>
    public void Run()
    {
        bool checkNames = NamesCheckDue();
        if (!(frozen.ProbesPending || checkNames))
        {
            return;
        }

        _times.Clear();
        liveFiles.Times = _times;
        long started = Stopwatch.GetTimestamp();
        try
        {
            options.BeforeProbesAfterResponse?.Invoke();
            frozen.ProbePending(Environment.TickCount64);
            if (checkNames && listing.CheckNames(_times))
            {
                Interlocked.Increment(ref _namesChecked);
            }
        }
        catch (Exception e)
        {
            // This runs on the thread pool, where an exception would end the server; the probes only spare later
            // collections work, and the files they leave unfrozen are read as any live file is, so nothing is lost.
            ChorusEventSource.Log.FreezeProbesFailed(directory, e.Message);
        }
        finally
        {
            liveFiles.Times = collectionTimes;
        }

        _times.Add(CollectionStage.Freeze, started);
        _times.Write();
    }

    // Only a server's reader (one that works after its responses) lists the names ahead of its scrapes.
    private bool NamesCheckDue() => options.ProbeAfterCollection && listing.FullListingDueBy(Environment.TickCount64, _scrapeGap);
}
