namespace Chorus.AspNetCore;

/// <summary>Chooses the <see cref="IScrapeSource"/> for a set of options.</summary>
internal static class ScrapeSources
{
    public static IScrapeSource Create(ChorusEndpointOptions options)
    {
        if (options.Directory is null)
        {
            throw new InvalidOperationException(
                "Chorus has nothing to serve: set ChorusEndpointOptions.Directory (or PROMETHEUS_MULTIPROC_DIR), or register an IScrapeSource before AddChorus.");
        }

        throw new NotSupportedException("The multiprocess directory reader has not landed yet.");
    }
}
