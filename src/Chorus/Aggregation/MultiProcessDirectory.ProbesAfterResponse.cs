namespace Chorus.Aggregation;

/// <content>
/// The work a collection leaves for after its response (<see cref="WorkAfterResponse"/>), started by a server once the
/// response is sent.
/// </content>
public sealed partial class MultiProcessDirectory
{
    private static readonly Action<MultiProcessDirectory> s_probePending = static reader => reader.ProbePending();

    /// <summary>
    /// Called by a server once the response of a collection is sent: probes the files it left, and lists every name when
    /// the next scrape would otherwise have to (<see cref="DirectoryListing.CheckNames"/>), on the thread pool.
    /// </summary>
    internal void ProbeAfterResponse()
    {
        if (_stages.AfterResponse.Due)
        {
            ThreadPool.UnsafeQueueUserWorkItem(s_probePending, this, preferLocal: false);
        }
    }

    /// <summary>Does the work left after the response, unless a dispose came first (a collection since did it first).</summary>
    private void ProbePending()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _stages.AfterResponse.Run();
            }
        }
    }
}
