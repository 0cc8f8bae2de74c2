using System.Net;
using System.Net.Sockets;

namespace Chorus.IntegrationTests.Support;

/// <summary>Asks the kernel for a free loopback port (for peers that cannot report the port they bound).</summary>
internal static class FreeLoopbackPort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
