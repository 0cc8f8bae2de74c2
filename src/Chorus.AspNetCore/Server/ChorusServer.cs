using System.Net;
using Chorus.AspNetCore.Http;
using Chorus.AspNetCore.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.AspNetCore.Server;

/// <summary>
/// The standalone exporter behind <c>chorus serve</c>: Kestrel answering <c>GET</c>/<c>HEAD</c> on the metrics path
/// (<c>/metrics</c>), <c>/healthz</c> and a landing page at <c>/</c>, 404 elsewhere, with optional TLS and basic
/// authentication, bounded by <see cref="ChorusServerOptions.MaxRequests"/>, <see cref="ChorusServerOptions.MaxConnections"/>
/// and Kestrel's timeouts and minimum data rates. Stops on SIGTERM or Ctrl-C.
/// </summary>
public sealed class ChorusServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _metricsPath;
    private IDisposable? _ownedSource;

    private ChorusServer(WebApplication app, IReadOnlyList<Uri> urls, string metricsPath)
    {
        _app = app;
        Urls = urls;
        _metricsPath = metricsPath;
    }

    /// <summary>The addresses the server listens on, with the real port when port 0 was asked for.</summary>
    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>The scrape URL (first address + <see cref="ChorusServerOptions.MetricsPath"/>).</summary>
    public Uri MetricsUrl => new(Urls[0], _metricsPath);

    /// <summary>Starts serving the directory in <see cref="ChorusServerOptions.Metrics"/>.</summary>
    /// <param name="options">Where to listen and what to serve.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <exception cref="ChorusServerException">The address is taken or invalid, or the TLS files cannot be used.</exception>
    public static async Task<ChorusServer> StartAsync(ChorusServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Metrics.Directory is null)
        {
            throw new ChorusServerException("no directory to serve: set ChorusServerOptions.Metrics.Directory (chorus serve --dir DIR).");
        }

        IScrapeSource source;
        try
        {
            source = ScrapeSources.Create(options.Metrics, directoryOptions: options.DirectoryOptions);
        }
        catch (DirectoryNotFoundException missing)
        {
            throw new ChorusServerException($"{missing.Message} Create it or point --dir at the workers' PROMETHEUS_MULTIPROC_DIR.", missing);
        }

        try
        {
            ChorusServer server = await StartAsync(options, source, cancellationToken).ConfigureAwait(false);
            server._ownedSource = source as IDisposable;
            return server;
        }
        catch
        {
            (source as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>Starts serving <paramref name="source"/>.</summary>
    /// <param name="options">Where to listen and how to answer.</param>
    /// <param name="source">What <c>/metrics</c> serves.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <exception cref="ChorusServerException">
    /// The address is taken or invalid, no socket was passed for <see cref="ChorusServerOptions.SystemdSocket"/>, the
    /// metrics path is invalid, or the web config or TLS files cannot be used.
    /// </exception>
    public static async Task<ChorusServer> StartAsync(ChorusServerOptions options, IScrapeSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(source);
        if (!IsMetricsPath(options.MetricsPath))
        {
            throw new ChorusServerException($"invalid metrics path '{options.MetricsPath}': it must start with '/' and be neither '/' nor '/healthz'.");
        }

        IPEndPoint? endPoint = null;
        IReadOnlyList<int> passedSockets = [];
        if (options.SystemdSocket)
        {
            passedSockets = SystemdSockets.Passed();
        }
        else if (!ListenAddress.TryParse(options.Listen, out endPoint, out string? error))
        {
            throw new ChorusServerException($"invalid listen address: {error}");
        }

        WebConfigSource webConfig;
        try
        {
            webConfig = options.WebConfigFile is { } file ? WebConfigSource.FromFile(file) : WebConfigSource.Fixed(options.WebConfig);
        }
        catch (WebConfigException unusable)
        {
            throw new ChorusServerException(unusable.Message, unusable);
        }

        WebApplication app = Build(options, source, endPoint, passedSockets, webConfig);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException bindFailure)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new ChorusServerException(
                $"cannot listen on {options.Listen}: {bindFailure.Message} Stop whatever uses that port or pick another with --listen.", bindFailure);
        }

        if (options.SystemdSocket)
        {
            return new ChorusServer(app, passedSockets.Select(fd => SystemdSockets.UrlOf(fd, webConfig.UsesTls)).ToArray(), options.MetricsPath);
        }

        ICollection<string> addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Uri[] urls = addresses.Select(a => new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal))).ToArray();
        return new ChorusServer(app, urls, options.MetricsPath);
    }

    /// <summary>Completes when the server stops: SIGTERM, Ctrl-C, <see cref="StopAsync"/> or <paramref name="cancellationToken"/>.</summary>
    /// <param name="cancellationToken">Stops the server when cancelled.</param>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        await _app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops accepting scrapes and finishes the ones in flight.</summary>
    public Task StopAsync() => _app.StopAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _ownedSource?.Dispose();
    }

    private static WebApplication Build(ChorusServerOptions options, IScrapeSource source, IPEndPoint? endPoint, IReadOnlyList<int> passedSockets, WebConfigSource webConfig)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = "chorus",
            ContentRootPath = AppContext.BaseDirectory,
        });

        // stdout carries the one "listening on" line scripts read; every log line goes to stderr.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        builder.WebHost.ConfigureKestrel(kestrel => ConfigureKestrel(kestrel, options, endPoint, passedSockets, webConfig));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(Options.Create(options.Metrics));

        // Created by the container so that it is disposed with the host, after the last request.
        builder.Services.AddSingleton(_ => new RequestGate(Math.Max(1, options.MaxRequests)));
        foreach (ChorusBackgroundJob job in options.BackgroundJobs)
        {
            builder.Services.AddSingleton<IHostedService>(provider =>
                new BackgroundJobService(job, provider.GetRequiredService<ILoggerFactory>().CreateLogger("Chorus.Jobs")));
        }

        WebApplication app = builder.Build();
        webConfig.Logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Chorus.WebConfig");
        if (options.MaxRequests > 0)
        {
            app.Use(app.Services.GetRequiredService<RequestGate>().InvokeAsync);
        }

        if (webConfig.GuardsRequests)
        {
            app.Use((context, next) => AuthorizeAsync(webConfig, context, next));
        }

        app.MapChorusMetrics(options.MetricsPath, source);
        app.MapMethods("/healthz", ["GET", "HEAD"], static context =>
        {
            context.Response.ContentType = ExpositionContentTypes.PlainText;
            return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync("ok\n");
        });
        var landingPage = new LandingPage(options.Metrics.Directory ?? "(not a directory)", options.MetricsPath, options.DirectoryStatus);
        app.MapMethods("/", ["GET", "HEAD"], landingPage.HandleAsync);
        return app;
    }

    private static void ConfigureKestrel(KestrelServerOptions kestrel, ChorusServerOptions options, IPEndPoint? endPoint, IReadOnlyList<int> passedSockets, WebConfigSource webConfig)
    {
        kestrel.AddServerHeader = false;
        ServerLimits.Apply(kestrel.Limits, options.MaxConnections);
        Action<ListenOptions> configure = listen =>
        {
            if (webConfig.UsesTls)
            {
                listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => webConfig.Current.Certificate);
            }
        };
        if (endPoint is not null)
        {
            kestrel.Listen(endPoint, configure);
        }

        foreach (int descriptor in passedSockets)
        {
            kestrel.ListenHandle((ulong)descriptor, configure);
        }
    }

    private static async Task AuthorizeAsync(WebConfigSource webConfig, HttpContext context, RequestDelegate next)
    {
        ActiveWebConfig active = webConfig.Current;
        HttpResponse response = context.Response;
        if (active.Error is not null)
        {
            response.StatusCode = StatusCodes.Status500InternalServerError;
            response.ContentType = ExpositionContentTypes.PlainText;
            await response.WriteAsync("The web config file cannot be used; see the exporter's log.\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (active.Authenticator is { } authenticator)
        {
            switch (await authenticator.CheckAsync(context.Request.Headers.Authorization, context.RequestAborted).ConfigureAwait(false))
            {
                case BasicAuthResult.Refused:
                    response.StatusCode = StatusCodes.Status401Unauthorized;
                    response.Headers.WWWAuthenticate = "Basic";
                    return;
                case BasicAuthResult.Busy:
                    response.StatusCode = StatusCodes.Status429TooManyRequests;
                    response.Headers.RetryAfter = "1";
                    return;
            }
        }

        await next(context).ConfigureAwait(false);
    }

    private static bool IsMetricsPath(string? path) =>
        path is { Length: > 1 } && path[0] == '/' && path != "/healthz";
}
