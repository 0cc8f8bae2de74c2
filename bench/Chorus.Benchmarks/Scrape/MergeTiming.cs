namespace Chorus.Benchmarks.Scrape;

/// <summary>Cold and warm in-process merge + exposition of a directory through the reader's public API.</summary>
internal static class MergeTiming
{
    // Filled in once the directory reader lands on main.
    public static IEnumerable<(string Name, double Value)> Measure(string directory, int repeats)
    {
        _ = directory;
        _ = repeats;
        return [];
    }
}
