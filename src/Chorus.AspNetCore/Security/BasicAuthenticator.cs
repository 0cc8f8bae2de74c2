using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Chorus.AspNetCore.Security;

/// <summary>
/// Checks HTTP basic credentials against bcrypt hashes, as exporter-toolkit does: a successful check is cached (by a
/// SHA-256 of user and password) because bcrypt is deliberately slow and Prometheus scrapes every few seconds, and an
/// unknown user still pays one bcrypt verification so response times do not reveal which users exist.
/// </summary>
internal sealed class BasicAuthenticator
{
    private const int MaxCachedCredentials = 1024;

    // A valid hash of a random password, verified against when the user is unknown, to keep timing uniform.
    private static readonly string s_decoyHash = BCrypt.Net.BCrypt.HashPassword(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), 10);

    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly ConcurrentDictionary<string, bool> _verified = new(StringComparer.Ordinal);

    public BasicAuthenticator(IReadOnlyDictionary<string, string> users)
    {
        _users = users;
    }

    /// <summary>True when <paramref name="authorization"/> is a <c>Basic</c> header with a known user and the right password.</summary>
    public bool IsAuthorized(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        string user = decoded[..colon];
        string password = decoded[(colon + 1)..];
        if (!_users.TryGetValue(user, out string? hash))
        {
            _ = BCrypt.Net.BCrypt.Verify(password, s_decoyHash);
            return false;
        }

        string cacheKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user + "\0" + password + "\0" + hash)));
        if (_verified.ContainsKey(cacheKey))
        {
            return true;
        }

        bool ok;
        try
        {
            ok = BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            ok = false;
        }

        if (ok)
        {
            if (_verified.Count >= MaxCachedCredentials)
            {
                _verified.Clear();
            }

            _verified[cacheKey] = true;
        }

        return ok;
    }
}
