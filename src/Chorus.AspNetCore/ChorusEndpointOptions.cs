using System.IO.Compression;

namespace Chorus.AspNetCore;

/// <summary>How the Chorus <c>/metrics</c> endpoint finds its data and shapes its responses.</summary>
/// <remarks>Read once, when the endpoint is mapped; later changes have no effect.</remarks>
public sealed class ChorusEndpointOptions
{
    /// <summary>
    /// The multiprocess directory to merge and serve. Default: the value of <c>PROMETHEUS_MULTIPROC_DIR</c>, or null
    /// (serve the in-process registry, or whatever <see cref="IScrapeSource"/> the application registered).
    /// </summary>
    public string? Directory { get; set; } = Environment.GetEnvironmentVariable(ChorusOptions.DirectoryVariable) is { Length: > 0 } dir ? dir : null;

    /// <summary>
    /// The hard limit on one exposition, in bytes, before compression. A scrape that would exceed it answers 500 and
    /// logs why, instead of growing memory without bound. Default: 64 MiB.
    /// </summary>
    public int MaxResponseBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Whether responses are gzip-compressed when the scraper's <c>Accept-Encoding</c> allows it. Default: true.</summary>
    public bool EnableGzip { get; set; } = true;

    /// <summary>
    /// The gzip level a changed part of the response is compressed at. Default: <see cref="CompressionLevel.Fastest"/>,
    /// which is what scrapes want. Unchanged parts are sent from the gzip members kept from the last scrape; with
    /// <see cref="CompressionLevel.Fastest"/>, a part that comes back unchanged is compressed again at
    /// <see cref="CompressionLevel.Optimal"/> in the background.
    /// </summary>
    public CompressionLevel GzipLevel { get; set; } = CompressionLevel.Fastest;

    /// <summary>
    /// Whether the <c>chorus_*</c> self-metrics (scrape duration, files by state, skipped files, bytes read) follow the
    /// application's data. Default: true. When the application already exposes a family of the same name, the
    /// application's family is kept and Chorus leaves its own out.
    /// </summary>
    public bool IncludeSelfMetrics { get; set; } = true;

    /// <summary>
    /// The <see cref="System.Diagnostics.Metrics.Meter"/>s recorded into the application's registry (the
    /// <see cref="MetricRegistry"/> service, else <see cref="Metrics.DefaultRegistry"/>) while the host runs. None by
    /// default: name them with <see cref="AddMeter"/>.
    /// </summary>
    public MeterOptions Meters { get; } = new();

    /// <summary>
    /// Records the meters with these names, or <c>*</c> patterns: <c>AddMeter("Microsoft.AspNetCore.Hosting",
    /// "Microsoft.AspNetCore.Server.Kestrel", "System.Net.*")</c>. Views go through <see cref="Meters"/>.
    /// </summary>
    /// <param name="names">Meter names or patterns, compared case-insensitively.</param>
    /// <returns>These options.</returns>
    public ChorusEndpointOptions AddMeter(params string[] names)
    {
        Meters.AddMeter(names);
        return this;
    }

    /// <summary>
    /// Whether the application's registry exports the process metrics (<c>process_cpu_seconds_total</c>,
    /// <c>process_resident_memory_bytes</c>, <c>process_open_fds</c>, <c>process_start_time_seconds</c>, ...), one series
    /// per live process in multiprocess mode. Default: true.
    /// </summary>
    public bool ProcessMetrics { get; set; } = true;

    /// <summary>
    /// Whether the endpoint runs the garbage collector itself between scrapes: 100 ms after a response, once 1 MiB was
    /// allocated since the last collection, so that the runtime's own collection does not fall inside a later scrape.
    /// The first such collection, and any after the heap grew by an eighth since the last of its kind, is a full one
    /// that compacts the heap and gives its free memory back to the system (it pauses the process for a while: about
    /// 0.2 s with 250 MB of merge state). The first scrape's collection, which reads every file and builds the merge
    /// state, runs with the runtime's collections suspended (up to 1 GiB allocated), and that full collection follows
    /// its response. After every response it also gives the C heap's free pages back to the system (glibc's
    /// <c>malloc_trim</c>, 0.1–2 ms), where zlib leaves the deflate states of each scrape's gzip members. Default: false,
    /// since in an application when to collect is the application's
    /// business. <c>chorus serve</c>, a process that only serves metrics, turns it on: with a big directory's merge
    /// state on the heap, the collection a warm scrape would otherwise pay for took several times the scrape itself.
    /// </summary>
    public bool CollectGarbageBetweenScrapes { get; set; }

    /// <summary>
    /// Whether a merged directory's scrapes are prepared ahead once they come at a steady interval (as Prometheus scrapes,
    /// one <c>scrape_interval</c> apart, a second or more): shortly before the next scrape is due, its collection runs and
    /// its body is formatted and compressed, writing nothing. The scrape still collects afresh when it arrives, so it
    /// serves the files' values at that moment; it only has the changes of the last moments left to do. Costs one more
    /// collection per interval, and runs only while the interval is at least twenty times a scrape's own time.
    /// Default: true.
    /// </summary>
    public bool PrepareAheadOfScrapes { get; set; } = true;

    /// <summary>Checks the values; throws <see cref="ArgumentOutOfRangeException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (MaxResponseBytes < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxResponseBytes), MaxResponseBytes, "MaxResponseBytes must be at least 1024.");
        }

        if (!Enum.IsDefined(GzipLevel))
        {
            throw new ArgumentOutOfRangeException(nameof(GzipLevel), GzipLevel, "Unknown compression level.");
        }
    }
}
