using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Chorus.IntegrationTests.Serve;

/// <summary>Requests with HTTP basic credentials, for the <c>--web.config.file</c> tests.</summary>
internal static class BasicAuthRequests
{
    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    /// <summary>GETs <paramref name="path"/> with <paramref name="authorization"/> (none when null) and returns the status.</summary>
    public static async Task<HttpStatusCode> GetStatusAsync(HttpClient client, string path, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = authorization;
        using HttpResponseMessage response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
