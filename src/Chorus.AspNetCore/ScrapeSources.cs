using Chorus.Aggregation;

namespace Chorus.AspNetCore;

/// <summary>Chooses the <see cref="IScrapeSource"/> for a set of options.</summary>
internal static class ScrapeSources
{
    /// <summary>
    /// The merged directory when one is set (probing files for freezing after each response and reading new files
    /// between scrapes, so a scrape does not wait for either), else <paramref name="registry"/> (or the default registry).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IScrapeSource Create(ChorusEndpointOptions options, MetricRegistry? registry = null, MultiProcessDirectoryOptions? directoryOptions = null) =>
        options.Directory is { } directory ? MultiProcessDirectory.Open(directory, (directoryOptions ?? MultiProcessDirectoryOptions.Default).ForServer()) : registry ?? Metrics.DefaultRegistry;
}
