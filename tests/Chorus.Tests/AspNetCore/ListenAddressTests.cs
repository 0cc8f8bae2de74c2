using System.Net;
using Chorus.AspNetCore.Server;

namespace Chorus.Tests.AspNetCore;

public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:9464", "127.0.0.1", 9464)]
    [InlineData("localhost:0", "127.0.0.1", 0)]
    [InlineData("0.0.0.0:80", "0.0.0.0", 80)]
    [InlineData("[::1]:9464", "::1", 9464)]
    [InlineData(":9464", "::", 9464)]
    public void TryParse_AcceptsPrometheusStyleAddresses(string text, string address, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out IPEndPoint? endPoint, out _));
        Assert.Equal(IPAddress.Parse(address), endPoint.Address);
        Assert.Equal(port, endPoint.Port);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("9464", "no port")]
    [InlineData("127.0.0.1:", "not a port number")]
    [InlineData("127.0.0.1:65536", "not a port number")]
    [InlineData("127.0.0.1:-1", "not a port number")]
    [InlineData("example.com:9464", "not an IP address")]
    [InlineData("::1:9464", "brackets")]
    public void TryParse_ExplainsWhatIsWrong(string text, string expectedReason)
    {
        Assert.False(ListenAddress.TryParse(text, out _, out string? error));
        Assert.Contains(expectedReason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_IsLoopbackOnly()
    {
        Assert.True(ListenAddress.TryParse(ListenAddress.Default, out IPEndPoint? endPoint, out _));
        Assert.True(IPAddress.IsLoopback(endPoint.Address));
    }
}
