using System.Diagnostics;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <content>
/// Work a collection leaves for after its response (<see cref="MultiProcessDirectoryOptions.ProbeAfterCollection"/>),
/// because it only spares later collections work and a server's scrape need not wait for it:
/// <list type="bullet">
/// <item>freezing probes: a newly dead worker's files cost a lease probe and their frozen parts' update each;</item>
/// <item>the listing of every name that the next scrape would otherwise make (at 50,000 names, ~30 ms once a minute).</item>
/// </list>
/// The server starts them once the response is sent (run beside it, they took a core from the response on a small
/// machine); probes nobody started are made by the next collection first, and a listing nobody made is made by it too.
/// </content>
public sealed partial class MultiProcessDirectory
{
    private static readonly Action<MultiProcessDirectory> s_probePending = static reader => reader.ProbePending();

    // Times the probes made after a response (a line of their own when stage times are written).
    private readonly CollectionStageTimes _probeTimes = new("chorus stages after the response us:");

    // When the last scrape's collection started, and how long after the one before it (0: not known yet): the pace at
    // which the next scrape is expected.
    private long _scrapeStartedAt;
    private long _scrapeGap;
    private int _namesCheckedAfterResponse;

    /// <summary>
    /// Called by a server once the response of a collection is sent: probes the files it left, and lists every name when
    /// the next scrape would otherwise have to (<see cref="DirectoryListing.CheckNames"/>), on the thread pool.
    /// </summary>
    internal void ProbeAfterResponse()
    {
        if (_options.ProbeAfterCollection && (_frozen.ProbesPending || NamesCheckDue()))
        {
            ThreadPool.UnsafeQueueUserWorkItem(s_probePending, this, preferLocal: false);
        }
    }

    /// <summary>Notes when a scrape's collection starts (not a collection ahead), for the pace of scrapes.</summary>
    private void NoteScrapeStarted(long now)
    {
        _scrapeGap = _scrapeStartedAt == 0 ? 0 : now - _scrapeStartedAt;
        _scrapeStartedAt = now;
    }

    // Only a server's reader (one that works after its responses) lists the names ahead of its scrapes.
    private bool NamesCheckDue() => _options.ProbeAfterCollection && _listing.FullListingDueBy(Environment.TickCount64, _scrapeGap);

    /// <summary>
    /// Probes the files the last collection left and checks the names when due, unless the next collection (which would
    /// do both first) or a dispose came first.
    /// </summary>
    private void ProbePending()
    {
        lock (_gate)
        {
            bool checkNames = NamesCheckDue();
            if (_disposed || !(_frozen.ProbesPending || checkNames))
            {
                return;
            }

            _probeTimes.Clear();
            _liveFiles.Times = _probeTimes;
            long started = Stopwatch.GetTimestamp();
            try
            {
                _options.BeforeProbesAfterResponse?.Invoke();
                _frozen.ProbePending(Environment.TickCount64);
                if (checkNames && _listing.CheckNames(_probeTimes))
                {
                    Interlocked.Increment(ref _namesCheckedAfterResponse);
                }
            }
            catch (Exception e)
            {
                // This runs on the thread pool, where an exception would end the server; the probes only spare later
                // collections work, and the files they leave unfrozen are read as any live file is, so nothing is lost.
                ChorusEventSource.Log.FreezeProbesFailed(Directory, e.Message);
            }
            finally
            {
                _liveFiles.Times = _times;
            }

            _probeTimes.Add(CollectionStage.Freeze, started);
            _probeTimes.Write();
        }
    }
}
