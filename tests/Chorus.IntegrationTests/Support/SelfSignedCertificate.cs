using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Chorus.IntegrationTests.Support;

/// <summary>A throw-away certificate for 127.0.0.1, written as PEM files a TLS server (and Prometheus, as its CA) can load.</summary>
internal static class SelfSignedCertificate
{
    /// <summary>A day-long RSA certificate whose subject alternative name is the loopback address.</summary>
    public static X509Certificate2 CreateForLoopback()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>Writes <c>cert.pem</c> and <c>key.pem</c> (PKCS#8) into <paramref name="directory"/>.</summary>
    public static async Task WritePemFilesAsync(X509Certificate2 certificate, string directory)
    {
        await File.WriteAllTextAsync(Path.Combine(directory, "cert.pem"), certificate.ExportCertificatePem());
        using RSA key = certificate.GetRSAPrivateKey()!;
        await File.WriteAllTextAsync(Path.Combine(directory, "key.pem"), key.ExportPkcs8PrivateKeyPem());
    }
}
