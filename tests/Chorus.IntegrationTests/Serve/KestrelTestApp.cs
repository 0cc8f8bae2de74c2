using Chorus.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chorus.IntegrationTests.Serve;

/// <summary>A real Kestrel application on a free loopback port with <c>MapChorusMetrics</c>, as users wire it.</summary>
internal sealed class KestrelTestApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelTestApp(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static Task<KestrelTestApp> StartAsync(IScrapeSource source, Action<ChorusEndpointOptions>? configure = null, string pattern = "/metrics") =>
        StartAsync(
            builder =>
            {
                builder.Services.AddSingleton(source);
                builder.Services.AddChorus(options =>
                {
                    options.Directory = null;
                    configure?.Invoke(options);
                });
            },
            app => app.MapChorusMetrics(pattern));

    public static async Task<KestrelTestApp> StartAsync(Action<WebApplicationBuilder> configureServices, Action<WebApplication> configureApp)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        configureServices(builder);
        WebApplication app = builder.Build();
        configureApp(app);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new KestrelTestApp(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
