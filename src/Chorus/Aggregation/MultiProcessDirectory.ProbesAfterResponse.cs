using System.Diagnostics;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <content>
/// Freezing probes left by a collection for after its response (<see cref="MultiProcessDirectoryOptions.ProbeAfterCollection"/>):
/// a newly dead worker's files cost a lease probe and their frozen parts' update each, which only spare later
/// collections work, so a server's scrape does not wait for them. The server starts them once the response is sent (run
/// beside it, they took a core from the response on a small machine); probes nobody started are made by the next
/// collection first.
/// </content>
public sealed partial class MultiProcessDirectory
{
    private static readonly Action<MultiProcessDirectory> s_probePending = static reader => reader.ProbePending();

    // Times the probes made after a response (a line of their own when stage times are written).
    private readonly CollectionStageTimes _probeTimes = new("chorus stages after the response us:");

    /// <summary>Called by a server once the response of a collection is sent: probes the files it left, on the thread pool.</summary>
    internal void ProbeAfterResponse()
    {
        if (_options.ProbeAfterCollection && _frozen.ProbesPending)
        {
            ThreadPool.UnsafeQueueUserWorkItem(s_probePending, this, preferLocal: false);
        }
    }

    /// <summary>Probes the files the last collection left, unless the next collection (which would first) or a dispose came first.</summary>
    private void ProbePending()
    {
        lock (_gate)
        {
            if (_disposed || !_frozen.ProbesPending)
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
