using Chorus.Aggregation;
using Chorus.AspNetCore.Security;

namespace Chorus.AspNetCore.Server;

/// <summary>Settings of the standalone exporter (<c>chorus serve</c>).</summary>
public sealed class ChorusServerOptions
{
    /// <summary>The default of <see cref="MaxRequests"/>: node_exporter's <c>--web.max-requests</c> default.</summary>
    public const int DefaultMaxRequests = 40;

    /// <summary>The default of <see cref="MaxConnections"/>.</summary>
    public const int DefaultMaxConnections = 512;

    /// <summary>The scrape endpoint's settings, including the directory to serve.</summary>
    public ChorusEndpointOptions Metrics { get; } = new();

    /// <summary>
    /// How the directory is read (null: <see cref="MultiProcessDirectoryOptions.Default"/>). Files the reader keeps
    /// open and mapped do not hold compaction back: the compactor counts only holders that may write.
    /// </summary>
    public MultiProcessDirectoryOptions? DirectoryOptions { get; set; }

    /// <summary>Where to listen (see <see cref="ListenAddress"/>). Default: <c>127.0.0.1:9464</c>, loopback only.</summary>
    public string Listen { get; set; } = ListenAddress.Default;

    /// <summary>
    /// Listen on the sockets systemd passes (socket activation: <c>LISTEN_FDS</c>/<c>LISTEN_PID</c>, from descriptor 3)
    /// instead of <see cref="Listen"/>. Start-up fails when systemd passed none to this process.
    /// </summary>
    public bool SystemdSocket { get; set; }

    /// <summary>The path of the scrape endpoint (<c>--web.telemetry-path</c>). Default: <c>/metrics</c>.</summary>
    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>TLS and basic authentication, exporter-toolkit style. Default: none (plain HTTP, no authentication).</summary>
    public WebConfig WebConfig { get; set; } = WebConfig.None;

    /// <summary>
    /// The exporter-toolkit web configuration file; when set it replaces <see cref="WebConfig"/> and is read again
    /// whenever its modification time or size changes (as exporter-toolkit reads it on every request).
    /// </summary>
    public string? WebConfigFile { get; set; }

    /// <summary>
    /// Requests answered at once (<c>--web.max-requests</c>); more wait for a turn while their client waits, so a
    /// burst costs at most this many response buffers. 0: no limit. Default <see cref="DefaultMaxRequests"/>.
    /// </summary>
    public int MaxRequests { get; set; } = DefaultMaxRequests;

    /// <summary>
    /// Open connections accepted at once (<c>--web.max-connections</c>); Kestrel closes the ones beyond it as they
    /// arrive. 0: no limit. Default <see cref="DefaultMaxConnections"/>.
    /// </summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    /// <summary>
    /// Counts the served directory's files and live writers for the landing page at <c>/</c> (<c>chorus serve</c>
    /// surveys the directory); called at most every few seconds. Null: the page counts the <c>.db</c> files itself
    /// and leaves the writers out.
    /// </summary>
    public Func<DirectoryStatus>? DirectoryStatus { get; set; }

    /// <summary>Jobs run periodically beside the endpoint, e.g. compaction (<c>--compact-every</c>).</summary>
    public IList<ChorusBackgroundJob> BackgroundJobs { get; } = [];

    /// <summary>Where the server prints the URL it listens on once started. Default: standard output.</summary>
    public TextWriter Output { get; set; } = Console.Out;
}
