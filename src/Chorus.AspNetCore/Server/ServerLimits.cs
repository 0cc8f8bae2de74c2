using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Chorus.AspNetCore.Server;

/// <summary>
/// Kestrel's limits for <c>chorus serve</c>, set explicitly so they are documented (docs/operations.md) and do not
/// move with framework defaults: a scrape is a small GET, so anything slow or large is a client to let go.
/// </summary>
internal static class ServerLimits
{
    /// <summary>Time a client has to send the request line and headers (slowloris).</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    /// <summary>An idle kept-alive connection is closed after this (Prometheus scrapes at least every couple of minutes).</summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(130);

    /// <summary>Request headers beyond this many bytes get 431.</summary>
    public const int MaxRequestHeadersTotalSize = 32 * 1024;

    /// <summary>A request line beyond this many bytes gets 414.</summary>
    public const int MaxRequestLineSize = 8 * 1024;

    /// <summary>A request body beyond this many bytes gets 413 (scrapes have none).</summary>
    public const long MaxRequestBodySize = 64 * 1024;

    /// <summary>Slower than this many bytes per second after <see cref="DataRateGracePeriod"/> and the connection is closed.</summary>
    public const double MinDataRateBytesPerSecond = 240;

    /// <summary>How long a slow transfer is tolerated before <see cref="MinDataRateBytesPerSecond"/> applies.</summary>
    public static readonly TimeSpan DataRateGracePeriod = TimeSpan.FromSeconds(5);

    public static void Apply(KestrelServerLimits limits, int maxConnections)
    {
        limits.MaxConcurrentConnections = maxConnections > 0 ? maxConnections : null;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalSize;
        limits.MaxRequestLineSize = MaxRequestLineSize;
        limits.MaxRequestBodySize = MaxRequestBodySize;
        limits.MinRequestBodyDataRate = new MinDataRate(MinDataRateBytesPerSecond, DataRateGracePeriod);
        limits.MinResponseDataRate = new MinDataRate(MinDataRateBytesPerSecond, DataRateGracePeriod);
    }
}
