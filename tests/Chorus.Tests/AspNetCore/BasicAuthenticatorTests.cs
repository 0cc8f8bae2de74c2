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
    public void IsAuthorized_RightPassword_EvenWithColonsAndUtf8_AndAgainFromTheCache()
    {
        string header = Basic("prometheus", "pa:ss wörd");

        Assert.True(s_authenticator.IsAuthorized(header));
        Assert.True(s_authenticator.IsAuthorized(header));
    }

    [Theory]
    [InlineData("prometheus", "wrong")]
    [InlineData("prometheus", "")]
    [InlineData("PROMETHEUS", "pa:ss wörd")]
    [InlineData("mallory", "pa:ss wörd")]
    public void IsAuthorized_RefusesWrongCredentials(string user, string password)
    {
        Assert.False(s_authenticator.IsAuthorized(Basic(user, password)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer abc")]
    [InlineData("Basic not-base64!")]
    [InlineData("Basic bm9jb2xvbg==")]
    public void IsAuthorized_RefusesMalformedHeaders(string? header)
    {
        Assert.False(s_authenticator.IsAuthorized(header));
    }

    private static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
}
