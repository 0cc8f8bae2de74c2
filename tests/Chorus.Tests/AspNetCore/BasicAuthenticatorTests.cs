using System.Text;
using Chorus.AspNetCore.Security;

namespace Chorus.Tests.AspNetCore;

public sealed class BasicAuthenticatorTests
{
    private static readonly BasicAuthenticator s_authenticator = new(new Dictionary<string, string>
    {
        ["prometheus"] = BCrypt.Net.BCrypt.HashPassword("pa:ss wörd", 4),
    });

    [Fact]
    public async Task Check_RightPassword_EvenWithColonsAndUtf8_AndAgainFromTheCache()
    {
        string header = Basic("prometheus", "pa:ss wörd");

        Assert.Equal(BasicAuthResult.Authorized, await s_authenticator.CheckAsync(header, CancellationToken.None));
        Assert.Equal(BasicAuthResult.Authorized, await s_authenticator.CheckAsync(header, CancellationToken.None));
    }

    [Theory]
    [InlineData("prometheus", "wrong")]
    [InlineData("prometheus", "")]
    [InlineData("PROMETHEUS", "pa:ss wörd")]
    [InlineData("mallory", "pa:ss wörd")]
    public async Task Check_RefusesWrongCredentials_AndAgainFromTheCache(string user, string password)
    {
        Assert.Equal(BasicAuthResult.Refused, await s_authenticator.CheckAsync(Basic(user, password), CancellationToken.None));
        Assert.Equal(BasicAuthResult.Refused, await s_authenticator.CheckAsync(Basic(user, password), CancellationToken.None));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer abc")]
    [InlineData("Basic not-base64!")]
    [InlineData("Basic bm9jb2xvbg==")]
    public async Task Check_RefusesMalformedHeaders(string? header)
    {
        Assert.Equal(BasicAuthResult.Refused, await s_authenticator.CheckAsync(header, CancellationToken.None));
    }

    private static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
}
