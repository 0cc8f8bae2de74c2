using Chorus.Aggregation;
using Chorus.AspNetCore.Http;

namespace Chorus.AspNetCore;

/// <summary>Chooses the <see cref="IScrapeSource"/> for a set of options.</summary>
internal static class ScrapeSources
{
    /// <summary>
    /// The merged directory when one is set (probing files for freezing after each response and reading new files
    /// between scrapes, so a scrape does not wait for either), else <paramref name="registry"/> (or the default registry).
    /// </summary>
    /// <remarks>
    /// With <see cref="ChorusEndpointOptions.CollectGarbageBetweenScrapes"/> on, the reader is opened with the runtime's
    /// collections suspended: a server's reader reads, merges and formats every file as soon as it is opened, and the
    /// endpoint ends the suspension after its first response (<see cref="GarbageCollectionBetweenScrapes"/>).
    /// </remarks>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IScrapeSource Create(ChorusEndpointOptions options, MetricRegistry? registry = null, MultiProcessDirectoryOptions? directoryOptions = null)
    {
        if (options.Directory is not { } directory)
        {
            return registry ?? Metrics.DefaultRegistry;
        }

        bool suspended = options.CollectGarbageBetweenScrapes && ProcessCollector.SuspendCollections();
        try
        {
            return MultiProcessDirectory.Open(directory, (directoryOptions ?? MultiProcessDirectoryOptions.Default).ForServer());
        }
        catch when (suspended)
        {
            ProcessCollector.ResumeCollections();
            throw;
        }
    }
}
