using System.Security.Cryptography.X509Certificates;

namespace Chorus.AspNetCore.Security;

/// <summary>The web configuration in force, with what it was read from (to notice changes).</summary>
/// <param name="Config">The configuration, or null while the file is unusable.</param>
/// <param name="Authenticator">Checks credentials when users are configured.</param>
/// <param name="Certificate">The certificate handshakes present (the last one that loaded).</param>
/// <param name="Error">Why the file is unusable: requests are refused until it is fixed.</param>
/// <param name="ConfigStamp">The configuration file as last read.</param>
/// <param name="CertStamp">The certificate file as last read.</param>
/// <param name="KeyStamp">The key file as last read.</param>
internal sealed record ActiveWebConfig(
    WebConfig? Config,
    BasicAuthenticator? Authenticator,
    X509Certificate2? Certificate,
    string? Error,
    FileStamp ConfigStamp,
    FileStamp CertStamp,
    FileStamp KeyStamp);
