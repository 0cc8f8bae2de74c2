using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Chorus.AspNetCore.Server;

/// <summary>
/// Parses a Prometheus-style listen address: <c>host:port</c>, <c>[ipv6]:port</c> or <c>:port</c> (every interface).
/// <c>localhost</c> means the IPv4 loopback; port 0 asks the kernel for a free port.
/// </summary>
public static class ListenAddress
{
    /// <summary>The default address: loopback only, the port registered for Prometheus exporters of this kind.</summary>
    public const string Default = "127.0.0.1:9464";

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is wrong.</summary>
    /// <param name="text">The address.</param>
    /// <param name="endPoint">The parsed address.</param>
    /// <param name="error">Why the text is not an address.</param>
    public static bool TryParse(string? text, [NotNullWhen(true)] out IPEndPoint? endPoint, [NotNullWhen(false)] out string? error)
    {
        endPoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the listen address is empty; use host:port, e.g. 127.0.0.1:9464";
            return false;
        }

        int colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            error = $"'{text}' has no port; use host:port, e.g. 127.0.0.1:9464";
            return false;
        }

        string host = text[..colon];
        string portText = text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            error = $"'{portText}' in '{text}' is not a port number (0-65535)";
            return false;
        }

        IPAddress? address;
        if (host.Length == 0)
        {
            address = IPAddress.IPv6Any;
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host.Trim('[', ']'), out address) || (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')))
        {
            error = $"'{host}' in '{text}' is not an IP address (write IPv6 addresses in brackets, e.g. [::1]:9464)";
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        error = null;
        return true;
    }
}
