namespace Chorus.Cli.Demo;

/// <summary>The options of <c>chorus demo</c>.</summary>
internal sealed record DemoSettings(int Workers, int MaxRequests, long? Requests, string? Directory, bool Serve, string Listen);
