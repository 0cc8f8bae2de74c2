using System.CommandLine;
using Chorus.AspNetCore.Security;
using Chorus.AspNetCore.Server;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus serve --dir DIR [--listen 127.0.0.1:9464] [--web.config.file F] [--compact-every DURATION [--all-retention DURATION]]</c>.</summary>
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

        var allRetention = new Option<string?>("--all-retention")
        {
            Description = "With --compact-every: delete dead processes' 'all'-mode gauge files once unchanged for this long, e.g. 1h, or 'never' (default: 10m).",
            HelpName = "DURATION|never",
        };

        var command = new Command("serve", "Serve the merged directory over HTTP: /metrics (text 0.0.4 or OpenMetrics, gzip) and /healthz.")
        {
            dir, listen, webConfig, compactEvery, allRetention,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(dir), parse.GetValue(listen)!, parse.GetValue(webConfig), parse.GetValue(compactEvery), parse.GetValue(allRetention), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? dirValue, string listen, string? webConfigFile, string? compactEvery, string? allRetentionText, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(dirValue) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(DirectoryOption.EnvironmentVariable)))
        {
            // Usage errors first: a missing directory is only worth reporting once the arguments make sense.
            throw CliErrors.Usage($"no directory given: pass --dir DIR or set {DirectoryOption.EnvironmentVariable}.");
        }

        if (!ListenAddress.TryParse(listen, out _, out string? listenError))
        {
            throw CliErrors.Usage($"--listen: {listenError}.");
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
            throw CliErrors.Failure(e.Message);
        }

        if (compactInterval is { } interval)
        {
            // The compactor makes this process's reader let go of its kept files while it runs (KeptFilePause),
            // so the exporter never looks like a live writer of a dead worker's file.
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
