using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Chorus.AspNetCore.Server;
using Microsoft.Extensions.Logging;

namespace Chorus.AspNetCore.Security;

/// <summary>
/// The web configuration of <c>chorus serve</c>, fixed or from a file that is read again when it changes: like
/// exporter-toolkit (which reads it on every request), a changed password, user list or certificate applies to the
/// next request without a restart. Every request costs one <c>stat</c> of the file (and of the TLS files); a change
/// of size or modification time reloads it. An unusable new file refuses requests (500) until it is fixed, so a
/// broken edit never serves without the authentication it meant; turning TLS on or off needs a restart.
/// </summary>
internal sealed class WebConfigSource
{
    private readonly string? _path;
    private readonly Lock _reloadGate = new();
    private ActiveWebConfig _active;

    private WebConfigSource(string? path, ActiveWebConfig active)
    {
        _path = path;
        _active = active;
        UsesTls = active.Config!.UsesTls;
    }

    /// <summary>Whether the listener speaks TLS (decided at start-up).</summary>
    public bool UsesTls { get; }

    /// <summary>True when requests must pass through <see cref="Current"/> (users configured, or a file that may gain them).</summary>
    public bool GuardsRequests => _path is not null || _active.Authenticator is not null;

    /// <summary>Where reload outcomes are logged.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>The configuration in force, reloaded first if its files changed.</summary>
    public ActiveWebConfig Current
    {
        get
        {
            ActiveWebConfig active = Volatile.Read(ref _active);
            if (_path is null || !Changed(active))
            {
                return active;
            }

            lock (_reloadGate)
            {
                active = _active;
                if (Changed(active))
                {
                    active = Reload(active);
                    Volatile.Write(ref _active, active);
                }

                return active;
            }
        }
    }

    /// <summary>A configuration given in code: never reloaded.</summary>
    public static WebConfigSource Fixed(WebConfig config)
    {
        X509Certificate2? certificate = config.UsesTls ? LoadCertificate(config) : null;
        return new WebConfigSource(null, new ActiveWebConfig(config, AuthenticatorFor(config, null), certificate, null, default, default, default));
    }

    /// <summary>Reads <paramref name="path"/>; throws <see cref="WebConfigException"/> or <see cref="ChorusServerException"/> when unusable.</summary>
    public static WebConfigSource FromFile(string path)
    {
        string fullPath = Path.GetFullPath(path);
        FileStamp stamp = FileStamp.Of(fullPath);
        WebConfig config = WebConfig.Load(fullPath);
        X509Certificate2? certificate = config.UsesTls ? LoadCertificate(config) : null;
        return new WebConfigSource(fullPath, new ActiveWebConfig(
            config, AuthenticatorFor(config, null), certificate, null, stamp, FileStamp.Of(config.TlsCertFile), FileStamp.Of(config.TlsKeyFile)));
    }

    private bool Changed(ActiveWebConfig active) =>
        FileStamp.Of(_path) != active.ConfigStamp
        || (active.Config is { UsesTls: true } config && (FileStamp.Of(config.TlsCertFile) != active.CertStamp || FileStamp.Of(config.TlsKeyFile) != active.KeyStamp));

    private ActiveWebConfig Reload(ActiveWebConfig previous)
    {
        FileStamp stamp = FileStamp.Of(_path);
        WebConfig config;
        try
        {
            config = WebConfig.Load(_path!);
        }
        catch (WebConfigException unusable)
        {
            Logger?.LogError("Web config {File} changed and cannot be used; requests are refused (500) until it is fixed: {Reason}", _path, unusable.Message);
            return previous with { Config = null, Authenticator = null, Error = unusable.Message, ConfigStamp = stamp };
        }

        if (config.UsesTls != UsesTls)
        {
            string error = $"web config {_path}: tls_server_config was turned {(config.UsesTls ? "on" : "off")} while serving; restart chorus serve to change it.";
            Logger?.LogError("{Reason} Requests are refused (500) until then.", error);
            return previous with { Config = null, Authenticator = null, Error = error, ConfigStamp = stamp };
        }

        FileStamp certStamp = FileStamp.Of(config.TlsCertFile);
        FileStamp keyStamp = FileStamp.Of(config.TlsKeyFile);
        X509Certificate2? certificate = previous.Certificate;
        if (config.UsesTls && (certStamp != previous.CertStamp || keyStamp != previous.KeyStamp
            || config.TlsCertFile != previous.Config?.TlsCertFile || config.TlsKeyFile != previous.Config?.TlsKeyFile))
        {
            try
            {
                certificate = LoadCertificate(config);
                Logger?.LogInformation("TLS certificate {File} loaded", config.TlsCertFile);
            }
            catch (ChorusServerException unusable)
            {
                // A rotation caught half-way (new certificate, old key) must not break TLS: keep presenting the last good pair.
                Logger?.LogError("{Reason} The previous certificate stays in use.", unusable.Message);
            }
        }

        Logger?.LogInformation("Web config {File} reloaded", _path);
        return new ActiveWebConfig(config, AuthenticatorFor(config, previous), certificate, null, stamp, certStamp, keyStamp);
    }

    // The same users keep their authenticator, and with it the caches of checked credentials.
    private static BasicAuthenticator? AuthenticatorFor(WebConfig config, ActiveWebConfig? previous)
    {
        if (config.BasicAuthUsers.Count == 0)
        {
            return null;
        }

        if (previous?.Config is { } before && previous.Authenticator is not null && SameUsers(before.BasicAuthUsers, config.BasicAuthUsers))
        {
            return previous.Authenticator;
        }

        return new BasicAuthenticator(config.BasicAuthUsers);
    }

    private static bool SameUsers(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out string? hash) && hash == pair.Value);

    private static X509Certificate2 LoadCertificate(WebConfig config)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(config.TlsCertFile!, config.TlsKeyFile);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new ChorusServerException(
                $"cannot load the TLS certificate {config.TlsCertFile} with key {config.TlsKeyFile}: {e.Message} Both must be PEM files.", e);
        }
    }
}
