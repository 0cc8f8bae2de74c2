using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace Chorus.Internal;

/// <summary>
/// Diagnostics for problems the write path survives instead of throwing (disk full, a file moved aside).
/// Listen with <c>dotnet-trace</c>/<c>EventListener</c> on "Chorus"; each event is also written to
/// <see cref="Trace"/> so it shows up without a listener.
/// </summary>
[EventSource(Name = "Chorus")]
internal sealed class ChorusEventSource : EventSource
{
    public static readonly ChorusEventSource Log = new();

    private ChorusEventSource()
    {
    }

    /// <summary>A file could not grow; new series in it are kept in memory only.</summary>
    [Event(1, Level = EventLevel.Error, Message = "Chorus could not extend '{0}': {1}. New series in this file are kept in memory and are not visible to other processes.")]
    public void StorageDegraded(string path, string reason)
    {
        Trace.TraceError($"Chorus could not extend '{path}': {reason}. New series in this file are kept in memory and are not visible to other processes.");
        WriteEvent(1, path, reason);
    }

    /// <summary>A file at our identity was damaged or foreign and was renamed instead of overwritten.</summary>
    [Event(2, Level = EventLevel.Warning, Message = "Chorus moved '{0}' to '{1}': {2}")]
    public void FileMovedAside(string path, string newPath, string reason)
    {
        Trace.TraceWarning($"Chorus moved '{path}' to '{newPath}': {reason}");
        WriteEvent(2, path, newPath, reason);
    }

    /// <summary>Probing dead writers' files for freezing after a response failed; they stay unfrozen and are read as live files.</summary>
    [Event(3, Level = EventLevel.Warning, Message = "Chorus could not freeze dead writers' files in '{0}' after a scrape: {1}. They are read as live files.")]
    public void FreezeProbesFailed(string directory, string reason)
    {
        Trace.TraceWarning($"Chorus could not freeze dead writers' files in '{directory}' after a scrape: {reason}. They are read as live files.");
        WriteEvent(3, directory, reason);
    }

    /// <summary>A collection ahead of the next scrape failed; that scrape reads what it would have read.</summary>
    [Event(4, Level = EventLevel.Warning, Message = "Chorus could not read new files in '{0}' ahead of the next scrape: {1}. That scrape reads them.")]
    public void CollectionAheadFailed(string directory, string reason)
    {
        Trace.TraceWarning($"Chorus could not read new files in '{directory}' ahead of the next scrape: {reason}. That scrape reads them.");
        WriteEvent(4, directory, reason);
    }

    /// <summary>A collection failed half way; the reader lets go of what it held and the next collection reads every file in full.</summary>
    [Event(5, Level = EventLevel.Error, Message = "Chorus's collection of '{0}' failed: {1}. The next collection reads every file afresh.")]
    public void CollectionFailed(string directory, string reason)
    {
        Trace.TraceError($"Chorus's collection of '{directory}' failed: {reason}. The next collection reads every file afresh.");
        WriteEvent(5, directory, reason);
    }
}
