using System.Buffers;
using System.Diagnostics;
using Chorus.Exposition;
using Chorus.Internal;

namespace Chorus.Aggregation;

/// <content>
/// Collections ahead of the next scrape (<see cref="MultiProcessDirectoryOptions.CollectAheadOnNewFiles"/>, run by
/// <see cref="CollectionsAhead"/>): a collection whose output nobody reads, which leaves the next scrape only what
/// changed after it. It formats the families it merged in the format of the last scrape, and reports nothing: its bytes
/// read are counted in the next scrape's report, and a problem it finds is still new to that report. A server's reader
/// also collects ahead when it is opened (<see cref="MultiProcessDirectoryOptions.CollectAtStart"/>), before any scrape.
/// </content>
public sealed partial class MultiProcessDirectory
{
    // What the collection at start formats before any scrape: what Prometheus 3 asks for first (OpenMetrics 1.0.0 with
    // escaping=allow-utf-8). A first scrape that asks for something else lets this rendering go (RenderedFamily.Written).
    private const ExpositionFormat StartFormat = ExpositionFormat.OpenMetrics;
    private const EscapingScheme StartEscaping = EscapingScheme.AllowUtf8;
    private const int StartCollections = 3;

    /// <summary>What the stage-time line of a collection ahead into an output starts with (<see cref="CollectAhead"/>).</summary>
    internal const string PreparedStageTimesLabel = "chorus stages ahead us:";

    private CollectionsAhead? _ahead;
    private long _bytesReadAhead;

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
                _ahead = new CollectionsAhead(Directory, () => CollectAhead(), e => ChorusEventSource.Log.CollectionAheadFailed(Directory, e.Message));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
            {
                // Out of inotify instances or watches, say: scrapes read new files themselves, as without the option.
                ChorusEventSource.Log.CollectionAheadFailed(Directory, e.Message);
            }
        }
    }

    /// <summary>
    /// The collections started when the reader was opened (<see cref="MultiProcessDirectoryOptions.CollectAtStart"/>), or a
    /// completed task. It never faults: a failure is logged, and the first scrape reads the files as without it.
    /// </summary>
    internal Task CollectionAtStart { get; private set; } = Task.CompletedTask;

    private void StartCollectionAtStart() => CollectionAtStart = _options.CollectAtStart ? Task.Run(CollectAtStart) : Task.CompletedTask;

    /// <summary>
    /// Reads, merges and formats every family as collections ahead do, until the reader has made three collections, as its
    /// first three scrapes would: the first reads each file once; the second keeps them open and mapped (a file is kept
    /// from its second read); the third adopts the writers' change maps (their first refresh reads every value) and formats
    /// the families in the last scrape's format (<see cref="StartFormat"/> before any). A scrape that comes first takes
    /// one's place and the others still follow: left to the scrapes, the GitLab-sized host's next two took 500–730 and
    /// 60–260 ms 15 s apart (docs/benchmarks.md).
    /// </summary>
    private void CollectAtStart()
    {
        try
        {
            _options.BeforeCollectionsAtStart?.Invoke();
            while (true)
            {
                lock (_gate)
                {
                    if (_disposed || _collections >= StartCollections)
                    {
                        return;
                    }

                    _options.BeforeCollectionAhead?.Invoke();
                    CollectCore(ahead: true);
                    if (_collections == StartCollections)
                    {
                        (ExpositionFormat format, EscapingScheme escaping) = _stages.Renderings.LastWritten ?? (StartFormat, StartEscaping);
                        _stages.Renderings.RenderAhead(format, escaping, onEveryCore: true);
                    }
                }

                ProbePending();
            }
        }
        catch (Exception e)
        {
            // On the thread pool, where an exception would end the server; the first scrape reads whatever this did not.
            ChorusEventSource.Log.CollectionAheadFailed(Directory, e.Message);
        }
    }

    /// <summary>
    /// Collects as a scrape would and formats what changed, writing nothing; then makes the freezing probes it left. Only
    /// once a scrape has been written (new files are read ahead only for a reader that is scraped). Returns how long it
    /// took, or null. With an <paramref name="output"/> (a server preparing a scrape it expects soon), every family is
    /// written to it in <paramref name="format"/> instead (not what ends the exposition), for the server to compress
    /// ahead as well, and the probes are left for after that scrape's response: a file they froze now would leave its
    /// families' merge to the scrape.
    /// </summary>
    internal TimeSpan? CollectAhead(IBufferWriter<byte>? output = null, ExpositionFormat format = default, EscapingScheme escaping = default)
    {
        long started = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_disposed || _stages.Renderings.LastWritten is not { } last)
            {
                return null;
            }

            _options.BeforeCollectionAhead?.Invoke();
            CollectCore(ahead: true);
            if (output is null)
            {
                _stages.Renderings.RenderAhead(last.Format, last.Escaping);
            }
            else
            {
                _stages.Renderings.WriteAhead(output, format, escaping);
                _times.Write(PreparedStageTimesLabel);
            }
        }

        if (output is null)
        {
            ProbePending();
        }

        return Stopwatch.GetElapsedTime(started);
    }
}
