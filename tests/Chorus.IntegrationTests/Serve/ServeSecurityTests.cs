using System.Net;
using System.Security.Cryptography.X509Certificates;
using Chorus.IntegrationTests.Support;
using static Chorus.IntegrationTests.Serve.BasicAuthRequests;

namespace Chorus.IntegrationTests.Serve;

/// <summary><c>chorus serve --web.config.file</c>: basic authentication and TLS, exporter-toolkit style.</summary>
public sealed class ServeSecurityTests
{
    [Fact]
    public async Task Serve_BasicAuth_AcceptsTheRightPasswordAndRefusesTheRest()
    {
        using var dir = new TempDirectory("serve");
        string hash = BCrypt.Net.BCrypt.HashPassword("s3cret", 4);
        string config = dir.File("web.yml");
        await File.WriteAllTextAsync(config, $"basic_auth_users:\n  prometheus: '{hash}'\n");
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path, "--web.config.file", config);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);

        HttpStatusCode anonymous = await GetStatusAsync(client, "/metrics", null);
        HttpStatusCode wrongPassword = await GetStatusAsync(client, "/metrics", Basic("prometheus", "guess"));
        HttpStatusCode unknownUser = await GetStatusAsync(client, "/metrics", Basic("mallory", "s3cret"));
        HttpStatusCode right = await GetStatusAsync(client, "/metrics", Basic("prometheus", "s3cret"));
        HttpStatusCode rightAgain = await GetStatusAsync(client, "/metrics", Basic("prometheus", "s3cret"));
        HttpStatusCode healthzAnonymous = await GetStatusAsync(client, "/healthz", null);
        using HttpResponseMessage challenge = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownUser);
        Assert.Equal(HttpStatusCode.OK, right);
        Assert.Equal(HttpStatusCode.OK, rightAgain);
        Assert.Equal(HttpStatusCode.Unauthorized, healthzAnonymous);
        Assert.Equal("Basic", challenge.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Serve_Tls_ServesHttpsWithTheConfiguredCertificate()
    {
        using var dir = new TempDirectory("serve");
        using X509Certificate2 certificate = SelfSignedCertificate.CreateForLoopback();
        await SelfSignedCertificate.WritePemFilesAsync(certificate, dir.Path);

        // Relative paths resolve against the config file's directory, as in exporter-toolkit.
        await File.WriteAllTextAsync(dir.File("web.yml"), "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n");
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path, "--web.config.file", dir.File("web.yml"));
        string? presentedThumbprint = null;
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                {
                    presentedThumbprint = presented is null ? null : new X509Certificate2(presented).Thumbprint;
                    return presentedThumbprint == certificate.Thumbprint;
                },
            },
        };
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress, handler);

        using HttpResponseMessage response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        using HttpClient plain = ScrapeClient.Create(new UriBuilder(serve.BaseAddress) { Scheme = "http" }.Uri);
        Exception? plainFailure = await Record.ExceptionAsync(() => plain.GetAsync(new Uri("/metrics", UriKind.Relative)));

        Assert.Equal("https", serve.MetricsUrl.Scheme);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(certificate.Thumbprint, presentedThumbprint);
        Assert.NotNull(plainFailure);
    }

    [Fact]
    public async Task Serve_Tls_RotatedCertificateIsPresentedWithoutARestart()
    {
        using var dir = new TempDirectory("serve");
        using X509Certificate2 first = SelfSignedCertificate.CreateForLoopback();
        using X509Certificate2 second = SelfSignedCertificate.CreateForLoopback();
        await SelfSignedCertificate.WritePemFilesAsync(first, dir.Path);
        await File.WriteAllTextAsync(dir.File("web.yml"), "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n");
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path, "--web.config.file", dir.File("web.yml"));

        string? before = await PresentedThumbprintAsync(serve.BaseAddress);
        await Task.Delay(20); // file times move in clock ticks of a few ms
        await SelfSignedCertificate.WritePemFilesAsync(second, dir.Path);
        string? after = await PresentedThumbprintAsync(serve.BaseAddress);

        Assert.Equal(first.Thumbprint, before);
        Assert.Equal(second.Thumbprint, after);
    }

    /// <summary>The certificate a new TLS connection is shown (one client per call: no connection reuse).</summary>
    private static async Task<string?> PresentedThumbprintAsync(Uri baseAddress)
    {
        string? presented = null;
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => (presented = certificate is null ? null : new X509Certificate2(certificate).Thumbprint) is not null },
        };
        using HttpClient client = ScrapeClient.Create(baseAddress, handler);
        using HttpResponseMessage response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return presented;
    }
}
