using Chorus.Aggregation;
using Chorus.AspNetCore.Security;

namespace Chorus.AspNetCore.Server;

/// <summary>Settings of the standalone exporter (<c>chorus serve</c>).</summary>
public sealed class ChorusServerOptions
{
    /// <summary>The scrape endpoint's settings, including the directory to serve.</summary>
    public ChorusEndpointOptions Metrics { get; } = new();

    /// <summary>
    /// How the directory is read (null: <see cref="MultiProcessDirectoryOptions.Default"/>). Files the reader keeps
    /// open and mapped do not hold compaction back: the compactor counts only holders that may write.
    /// </summary>
    public MultiProcessDirectoryOptions? DirectoryOptions { get; set; }

    /// <summary>Where to listen (see <see cref="ListenAddress"/>). Default: <c>127.0.0.1:9464</c>, loopback only.</summary>
    public string Listen { get; set; } = ListenAddress.Default;

    /// <summary>TLS and basic authentication, exporter-toolkit style. Default: none (plain HTTP, no authentication).</summary>
    public WebConfig WebConfig { get; set; } = WebConfig.None;

    /// <summary>Jobs run periodically beside the endpoint, e.g. compaction (<c>--compact-every</c>).</summary>
    public IList<ChorusBackgroundJob> BackgroundJobs { get; } = [];

    /// <summary>Where the server prints the URL it listens on once started. Default: standard output.</summary>
    public TextWriter Output { get; set; } = Console.Out;
}
