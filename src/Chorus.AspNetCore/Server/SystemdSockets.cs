using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Chorus.AspNetCore.Server;

/// <summary>
/// The listening sockets systemd passes to a socket-activated service (sd_listen_fds(3)): descriptors 3 to
/// 3 + <c>LISTEN_FDS</c> - 1, meant for this process when <c>LISTEN_PID</c> is its id.
/// </summary>
internal static class SystemdSockets
{
    private const int FirstDescriptor = 3;

    /// <summary>The descriptors passed to this process; throws when there are none.</summary>
    public static IReadOnlyList<int> Passed()
    {
        string? pidText = Environment.GetEnvironmentVariable("LISTEN_PID");
        string? countText = Environment.GetEnvironmentVariable("LISTEN_FDS");
        if (pidText is null || countText is null)
        {
            throw new ChorusServerException(
                "--web.systemd-socket: systemd passed no socket (LISTEN_PID and LISTEN_FDS are not set); start chorus from its .socket unit, or listen with --web.listen-address instead.");
        }

        if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid != Environment.ProcessId)
        {
            throw new ChorusServerException(
                $"--web.systemd-socket: the sockets are for process {pidText} (LISTEN_PID), not this one ({Environment.ProcessId}); let systemd start chorus itself.");
        }

        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
        {
            throw new ChorusServerException($"--web.systemd-socket: LISTEN_FDS={countText} passes no socket.");
        }

        return Enumerable.Range(FirstDescriptor, count).ToArray();
    }

    /// <summary>The address a passed socket listens on, for the URL <c>chorus serve</c> prints.</summary>
    public static Uri UrlOf(int descriptor, bool tls)
    {
        string scheme = tls ? "https" : "http";

        // The Socket does not own the descriptor: disposing it leaves the socket to Kestrel.
        using var socket = new Socket(new SafeSocketHandle(descriptor, ownsHandle: false));
        return socket.LocalEndPoint switch
        {
            IPEndPoint { Address: var address } ip when address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) =>
                new Uri($"{scheme}://localhost:{ip.Port}/"),
            IPEndPoint ip => new Uri($"{scheme}://{ip}/"),
            _ => new Uri($"{scheme}://localhost/"), // a Unix socket: no host:port to name

        };
    }
}
