using Chorus.Aggregation;

namespace Chorus.AspNetCore;

/// <summary>Chooses the <see cref="IScrapeSource"/> for a set of options.</summary>
internal static class ScrapeSources
{
    /// <exception cref="InvalidOperationException">Nothing to serve.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IScrapeSource Create(ChorusEndpointOptions options)
    {
        if (options.Directory is null)
        {
            throw new InvalidOperationException(
                "Chorus has nothing to serve: set ChorusEndpointOptions.Directory (or PROMETHEUS_MULTIPROC_DIR), or register an IScrapeSource before AddChorus.");
        }

        return MultiProcessDirectory.Open(options.Directory);
    }
}
