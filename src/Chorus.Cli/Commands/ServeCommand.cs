using System.CommandLine;
using Chorus.Aggregation;
using Chorus.AspNetCore.Security;
using Chorus.AspNetCore.Server;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus serve --dir DIR [--listen 127.0.0.1:9464] [--web.config.file F] [--compact-every DURATION]</c>.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        Option<string?> dir = DirectoryOption.Create();
        var listen = new Option<string>("--listen")
        {
            Description = "Address to listen on, host:port; port 0 picks a free port. Loopback unless told otherwise.",
            HelpName = "HOST:PORT",
            DefaultValueFactory = _ => ListenAddress.Default,
        };
        var webConfig = new Option<string?>("--web.config.file")
        {
            Description = "Exporter-toolkit web config (YAML) with tls_server_config and/or basic_auth_users.",
            HelpName = "FILE",
        };
        var compactEvery = new Option<string?>("--compact-every")
        {
            Description = "Compact dead processes' files this often, e.g. 60s or 5m.",
            HelpName = "DURATION",
        };

        var command = new Command("serve", "Serve the merged directory over HTTP: /metrics (text 0.0.4 or OpenMetrics, gzip) and /healthz.")
        {
            dir, listen, webConfig, compactEvery,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(dir), parse.GetValue(listen)!, parse.GetValue(webConfig), parse.GetValue(compactEvery), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? dirValue, string listen, string? webConfigFile, string? compactEvery, CancellationToken cancellationToken)
    {
        string? dir = string.IsNullOrEmpty(dirValue) ? Environment.GetEnvironmentVariable(DirectoryOption.EnvironmentVariable) : dirValue;
        if (string.IsNullOrEmpty(dir))
        {
            return CliErrors.Usage("chorus serve: no directory: pass --dir DIR or set PROMETHEUS_MULTIPROC_DIR.");
        }

        if (!ListenAddress.TryParse(listen, out _, out string? listenError))
        {
            return CliErrors.Usage($"chorus serve: --listen: {listenError}.");
        }

        TimeSpan? compactInterval = null;
        if (compactEvery is not null && !DurationArgument.TryParse(compactEvery, out compactInterval))
        {
            return CliErrors.Usage($"chorus serve: --compact-every: '{compactEvery}' is not a duration; use e.g. 60s, 5m or 1h30m.");
        }

        if (!Directory.Exists(dir))
        {
            return CliErrors.Failure($"chorus serve: directory {dir} does not exist; create it or point --dir at the workers' PROMETHEUS_MULTIPROC_DIR.");
        }

        var options = new ChorusServerOptions { Listen = listen };
        options.Metrics.Directory = Path.GetFullPath(dir);
        try
        {
            if (webConfigFile is not null)
            {
                options.WebConfig = WebConfig.Load(webConfigFile);
            }
        }
        catch (WebConfigException e)
        {
            return CliErrors.Failure($"chorus serve: {e.Message}");
        }

        if (compactInterval is { } interval)
        {
            options.BackgroundJobs.Add(CompactionJob.Create(options.Metrics.Directory, interval));

            // The compactor takes files this process keeps open for fast scrapes as held by a live writer: let
            // files that stopped changing go within one compaction period, not the reader's default 2 minutes.
            TimeSpan idle = MultiProcessDirectoryOptions.Default.KeptFileIdleTimeout;
            options.DirectoryOptions = new MultiProcessDirectoryOptions { KeptFileIdleTimeout = interval < idle ? interval : idle };
        }

        ChorusServer server;
        try
        {
            server = await ChorusServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (ChorusServerException e)
        {
            return CliErrors.Failure($"chorus serve: {e.Message}");
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

        return 0;
    }
}
