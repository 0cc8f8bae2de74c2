using Chorus.Aggregation;

namespace Chorus.Cli.Demo;

/// <summary>
/// Serves the demo's merged directory over HTTP on loopback. The HTTP host is the <c>chorus serve</c> one;
/// until it is part of this build, the demo says so and runs without serving.
/// </summary>
internal sealed class DemoEndpoint : IAsyncDisposable
{
    private DemoEndpoint(string url) => Url = url;

    public string Url { get; }

    public static Task<DemoEndpoint?> StartAsync(MultiProcessDirectory merged, string listen, CancellationToken cancellationToken)
    {
        _ = merged;
        _ = listen;
        _ = cancellationToken;
        Console.Error.WriteLine("chorus demo: this build has no HTTP host yet; running as with --no-serve.");
        return Task.FromResult<DemoEndpoint?>(null);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
