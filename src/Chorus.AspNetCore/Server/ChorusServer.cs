using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Chorus.AspNetCore.Http;
using Chorus.AspNetCore.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.AspNetCore.Server;

/// <summary>
/// The standalone exporter behind <c>chorus serve</c>: Kestrel answering <c>GET</c>/<c>HEAD</c> on <c>/metrics</c> and
/// <c>/healthz</c>, 404 elsewhere, with optional TLS and basic authentication. Stops on SIGTERM or Ctrl-C.
/// </summary>
public sealed class ChorusServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private IDisposable? _ownedSource;

    private ChorusServer(WebApplication app, IReadOnlyList<Uri> urls)
    {
        _app = app;
        Urls = urls;
    }

    /// <summary>The addresses the server listens on, with the real port when port 0 was asked for.</summary>
    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>The scrape URL (first address + <c>/metrics</c>).</summary>
    public Uri MetricsUrl => new(Urls[0], "/metrics");

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
    /// <exception cref="ChorusServerException">The address is taken or invalid, or the TLS files cannot be used.</exception>
    public static async Task<ChorusServer> StartAsync(ChorusServerOptions options, IScrapeSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(source);
        if (!ListenAddress.TryParse(options.Listen, out IPEndPoint? endPoint, out string? error))
        {
            throw new ChorusServerException($"invalid listen address: {error}");
        }

        X509Certificate2? certificate = options.WebConfig.UsesTls ? LoadCertificate(options.WebConfig) : null;
        WebApplication app = Build(options, source, endPoint, certificate);
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

        ICollection<string> addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Uri[] urls = addresses.Select(a => new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal))).ToArray();
        return new ChorusServer(app, urls);
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

    private static WebApplication Build(ChorusServerOptions options, IScrapeSource source, IPEndPoint endPoint, X509Certificate2? certificate)
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

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endPoint, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(Options.Create(options.Metrics));
        foreach (ChorusBackgroundJob job in options.BackgroundJobs)
        {
            builder.Services.AddSingleton<IHostedService>(provider =>
                new BackgroundJobService(job, provider.GetRequiredService<ILoggerFactory>().CreateLogger("Chorus.Jobs")));
        }

        WebApplication app = builder.Build();
        if (options.WebConfig.BasicAuthUsers.Count > 0)
        {
            var authenticator = new BasicAuthenticator(options.WebConfig.BasicAuthUsers);
            app.Use(async (context, next) =>
            {
                if (!authenticator.IsAuthorized(context.Request.Headers.Authorization))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Basic";
                    return;
                }

                await next(context).ConfigureAwait(false);
            });
        }

        app.MapChorusMetrics("/metrics", source);
        app.MapMethods("/healthz", ["GET", "HEAD"], static context =>
        {
            context.Response.ContentType = ExpositionContentTypes.PlainText;
            return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync("ok\n");
        });
        return app;
    }

    private static X509Certificate2 LoadCertificate(WebConfig config)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(config.TlsCertFile!, config.TlsKeyFile);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new ChorusServerException(
                $"cannot load the TLS certificate {config.TlsCertFile} with key {config.TlsKeyFile}: {e.Message} Both must be PEM files.", e);
        }
    }
}
