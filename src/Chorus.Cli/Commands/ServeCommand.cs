using System.CommandLine;
using Chorus.AspNetCore.Server;

namespace Chorus.Cli.Commands;

/// <summary>
/// <c>chorus serve --dir DIR [--listen 127.0.0.1:9464 | --web.systemd-socket] [--web.telemetry-path /metrics] [--web.config.file F]
/// [--web.max-requests 40] [--web.max-connections 512] [--compact-every DURATION [--all-retention DURATION]]</c>; the
/// exporter-toolkit spelling <c>--web.listen-address</c> is accepted for <c>--listen</c>.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        Option<string?> dir = DirectoryOption.Create();
        var listen = new Option<string>("--listen", "--web.listen-address")
        {
            Description = "Address to listen on, host:port; port 0 picks a free port. Loopback unless told otherwise.",
            HelpName = "HOST:PORT",
            DefaultValueFactory = _ => ListenAddress.Default,
        };
        var webConfig = new Option<string?>("--web.config.file")
        {
            Description = "Exporter-toolkit web config (YAML) with tls_server_config and/or basic_auth_users; read again when it changes.",
            HelpName = "FILE",
        };
        var systemdSocket = new Option<bool>("--web.systemd-socket")
        {
            Description = "Listen on the socket systemd passes (socket activation, LISTEN_FDS) instead of --listen.",
        };
        var telemetryPath = new Option<string>("--web.telemetry-path")
        {
            Description = "Path under which to serve the metrics.",
            HelpName = "PATH",
            DefaultValueFactory = _ => "/metrics",
        };
        var maxRequests = new Option<int>("--web.max-requests")
        {
            Description = "Requests answered at once; more wait for a turn. 0: no limit.",
            HelpName = "N",
            DefaultValueFactory = _ => ChorusServerOptions.DefaultMaxRequests,
        };
        var maxConnections = new Option<int>("--web.max-connections")
        {
            Description = "Connections accepted at once; more are closed on arrival. 0: no limit.",
            HelpName = "N",
            DefaultValueFactory = _ => ChorusServerOptions.DefaultMaxConnections,
        };
        var compactEvery = new Option<string?>("--compact-every")
        {
            Description = "Compact dead processes' files this often, e.g. 60s or 5m.",
            HelpName = "DURATION",
        };

        var allRetention = new Option<string?>("--all-retention")
        {
            Description = "With --compact-every: delete dead processes' 'all'-mode gauge files once unchanged for this long, e.g. 1h, or 'never' (default: 10m).",
            HelpName = "DURATION|never",
        };

        var noPrepare = new Option<bool>("--no-prepare-scrapes")
        {
            Description = "Do not collect ahead of a scrape whose time is known from the steady interval of the last ones (one more collection per interval, for a faster scrape).",
        };

        var command = new Command("serve", "Serve the merged directory over HTTP: /metrics (text 0.0.4 or OpenMetrics, gzip), /healthz and a landing page at /.")
        {
            dir, listen, systemdSocket, telemetryPath, webConfig, maxRequests, maxConnections, compactEvery, allRetention, noPrepare,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new ChorusServerOptions
            {
                Listen = parse.GetValue(listen)!,
                SystemdSocket = parse.GetValue(systemdSocket),
                MetricsPath = parse.GetValue(telemetryPath)!,
                WebConfigFile = parse.GetValue(webConfig),
                MaxRequests = parse.GetValue(maxRequests),
                MaxConnections = parse.GetValue(maxConnections),
            };
            options.Metrics.PrepareAheadOfScrapes = !parse.GetValue(noPrepare);
            return RunAsync(parse.GetValue(dir), options, parse.GetValue(compactEvery), parse.GetValue(allRetention), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(string? dirValue, ChorusServerOptions options, string? compactEvery, string? allRetentionText, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(dirValue) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ChorusOptions.DirectoryVariable)))
        {
            // Usage errors first: a missing directory is only worth reporting once the arguments make sense.
            throw CliErrors.Usage($"no directory given: pass --dir DIR or set {ChorusOptions.DirectoryVariable}.");
        }

        if (!options.SystemdSocket && !ListenAddress.TryParse(options.Listen, out _, out string? listenError))
        {
            throw CliErrors.Usage($"--listen: {listenError}.");
        }

        if (!options.MetricsPath.StartsWith('/') || options.MetricsPath is "/" or "/healthz")
        {
            throw CliErrors.Usage($"--web.telemetry-path: '{options.MetricsPath}' must start with '/' and be neither '/' (the landing page) nor '/healthz'.");
        }

        if (options.MaxRequests < 0 || options.MaxConnections < 0)
        {
            throw CliErrors.Usage("--web.max-requests and --web.max-connections take a count (0: no limit).");
        }

        TimeSpan? compactInterval = null;
        if (compactEvery is not null && !DurationArgument.TryParse(compactEvery, out compactInterval))
        {
            throw CliErrors.Usage($"--compact-every: '{compactEvery}' is not a duration; use e.g. 60s, 5m or 1h30m.");
        }

        if ((allRetentionText is not null && compactInterval is null) || !DurationArgument.TryParseRetention(allRetentionText, out TimeSpan? allRetention))
        {
            throw CliErrors.Usage(compactInterval is null
                ? "--all-retention needs --compact-every."
                : $"--all-retention: '{allRetentionText}' is not a duration; use e.g. 10m, 24h or never.");
        }

        string dir = DirectoryOption.Resolve(dirValue);

        options.Metrics.Directory = Path.GetFullPath(dir);
        options.DirectoryStatus = () => ServeDirectoryStatus.Survey(options.Metrics.Directory);

        // This process only serves the directory: its collections may as well fall between scrapes.
        options.Metrics.CollectGarbageBetweenScrapes = true;

        if (compactInterval is { } interval)
        {
            // The reader and the compactor need nothing from each other: the compactor counts only holders that may
            // write, so the files this process's reader keeps open and mapped read-only never keep a dead worker alive.
            options.BackgroundJobs.Add(CompactionJob.Create(options.Metrics.Directory, interval, allRetention));
        }

        ChorusServer server;
        try
        {
            server = await ChorusServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (ChorusServerException e)
        {
            throw CliErrors.Failure(e.Message);
        }

        await using (server.ConfigureAwait(false))
        {
            await options.Output.WriteLineAsync($"chorus serve: serving {options.Metrics.Directory} on {server.MetricsUrl}").ConfigureAwait(false);
            await options.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM/Ctrl-C: a clean stop.
            }
        }

        return CliErrors.Success;
    }
}
