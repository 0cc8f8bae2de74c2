using System.Diagnostics;
using Chorus.Exposition;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <content>
/// Collections ahead of the next scrape (<see cref="MultiProcessDirectoryOptions.CollectAheadOnNewFiles"/>, run by
/// <see cref="CollectionsAhead"/>): a collection whose output nobody reads, which leaves the next scrape only what
/// changed after it. It formats the families it merged in the format of the last scrape, and reports nothing: its bytes
/// read are counted in the next scrape's report, and a problem it finds is still new to that report.
/// </content>
public sealed partial class MultiProcessDirectory
{
    private CollectionsAhead? _ahead;
    private long _bytesReadAhead;

    // The format and escaping of the last collection written out: what the next scrape most likely asks for again.
    private (ExpositionFormat Format, EscapingScheme Escaping)? _lastWritten;

    /// <summary>Collections ahead started so far (tests).</summary>
    internal int CollectionsAheadRun => Volatile.Read(ref _ahead)?.Runs ?? 0;

    /// <summary>
    /// Called when the first collection is written out: starts watching for new files when the options ask for
    /// collections ahead (a reader nobody scrapes watches nothing).
    /// </summary>
    private void StartCollectionsAhead()
    {
        if (_options.CollectAheadOnNewFiles && !_disposed)
        {
            try
            {
                _ahead = new CollectionsAhead(Directory, CollectAhead, e => ChorusEventSource.Log.CollectionAheadFailed(Directory, e.Message));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
            {
                // Out of inotify instances or watches, say: scrapes read new files themselves, as without the option.
                ChorusEventSource.Log.CollectionAheadFailed(Directory, e.Message);
            }
        }
    }

    /// <summary>
    /// Collects as a scrape would and formats what changed, writing nothing; then makes the freezing probes it left. Only
    /// once a scrape has been written (a reader nobody scrapes reads nothing ahead). Returns how long it took, or null.
    /// </summary>
    internal TimeSpan? CollectAhead()
    {
        long started = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_disposed || _lastWritten is not { } last)
            {
                return null;
            }

            _options.BeforeCollectionAhead?.Invoke();
            CollectCore(ahead: true);
            foreach (FamilyState family in _emitted)
            {
                if (family.Rendered.NeedsRendering(family.MergedIn, last.Format, last.Escaping))
                {
                    family.Rendered.Render(family.Output, family.MergedIn, last.Format, last.Escaping);
                }
            }
        }

        ProbePending();
        return Stopwatch.GetElapsedTime(started);
    }
}
