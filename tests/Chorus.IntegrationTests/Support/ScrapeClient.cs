using System.IO.Compression;
using System.Net;
using System.Text;

namespace Chorus.IntegrationTests.Support;

/// <summary>An <see cref="HttpClient"/> that never decompresses on its own, so tests see the bytes on the wire.</summary>
internal static class ScrapeClient
{
    public const string PrometheusAccept =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    public static HttpClient Create(Uri baseAddress, HttpMessageHandler? handler = null) =>
        new(handler ?? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>GETs <c>/metrics</c> relative to the client's base address and returns the body.</summary>
    public static Task<string> GetMetricsTextAsync(HttpClient client) => client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

    /// <summary>The body as text, gunzipped when the response says it is gzip-encoded.</summary>
    public static async Task<string> ReadBodyAsync(HttpResponseMessage response)
    {
        byte[] wire = await response.Content.ReadAsByteArrayAsync();
        return response.Content.Headers.ContentEncoding.Contains("gzip") ? Gunzip(wire) : Encoding.UTF8.GetString(wire);
    }

    public static string Gunzip(byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var reader = new StreamReader(input, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, string? accept = null, string? acceptEncoding = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        return request;
    }
}
