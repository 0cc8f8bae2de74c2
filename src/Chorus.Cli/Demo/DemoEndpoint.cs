using Chorus.Aggregation;
using Chorus.AspNetCore.Server;

namespace Chorus.Cli.Demo;

/// <summary>Serves the demo's merged directory on loopback with the same host as <c>chorus serve</c>.</summary>
internal sealed class DemoEndpoint : IAsyncDisposable
{
    private readonly ChorusServer _server;

    private DemoEndpoint(ChorusServer server) => _server = server;

    public Uri Url => _server.MetricsUrl;

    /// <summary>Starts serving; on failure (port taken, bad address) says why and returns null so the demo runs without serving.</summary>
    public static async Task<DemoEndpoint?> StartAsync(MultiProcessDirectory merged, string listen, CancellationToken cancellationToken)
    {
        var options = new ChorusServerOptions { Listen = listen, Output = TextWriter.Null };
        try
        {
            return new DemoEndpoint(await ChorusServer.StartAsync(options, merged, cancellationToken).ConfigureAwait(false));
        }
        catch (ChorusServerException e)
        {
            await Console.Error.WriteLineAsync($"chorus demo: not serving: {e.Message}").ConfigureAwait(false);
            return null;
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
