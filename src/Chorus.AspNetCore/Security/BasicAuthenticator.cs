using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Chorus.AspNetCore.Security;

/// <summary>
/// Checks HTTP basic credentials against bcrypt hashes, as exporter-toolkit does: results are cached (by a SHA-256 of
/// user, password and hash) because bcrypt is deliberately slow and Prometheus scrapes every few seconds, and an
/// unknown user still pays one bcrypt verification so response times do not reveal which users exist.
/// </summary>
/// <remarks>
/// A flood of wrong passwords must not take the CPU: failures are cached too (in their own table, so guesses cannot
/// evict the scraper's verified credentials), at most <see cref="MaxConcurrentChecks"/> bcrypt checks run at once,
/// and beyond <see cref="MaxWaitingChecks"/> waiting ones new credentials are answered <see cref="BasicAuthResult.Busy"/>.
/// </remarks>
internal sealed class BasicAuthenticator
{
    /// <summary>Entries per cache; a full cache is emptied (a rare extra bcrypt check beats unbounded memory).</summary>
    public const int MaxCachedCredentials = 1024;

    /// <summary>bcrypt checks that may run at once: half the cores, at least one.</summary>
    public static readonly int MaxConcurrentChecks = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Waiting bcrypt checks beyond which new credentials are answered <see cref="BasicAuthResult.Busy"/>.</summary>
    public const int MaxWaitingChecks = 8;

    // A valid hash of a random password, verified against when the user is unknown, to keep timing uniform.
    private static readonly Lazy<string> s_decoyHash = new(() => BCrypt.Net.BCrypt.HashPassword(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), 10));

    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly ConcurrentDictionary<string, bool> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _refused = new(StringComparer.Ordinal);

    // Process-wide: the CPU is, and a reloaded configuration's new authenticator must not double the allowance.
    private static readonly SemaphoreSlim s_checks = new(MaxConcurrentChecks, MaxConcurrentChecks);
    private static int s_waiting;

    public BasicAuthenticator(IReadOnlyDictionary<string, string> users)
    {
        _users = users;
    }


    /// <summary>Checks <paramref name="authorization"/>, a <c>Basic</c> header.</summary>
    public async ValueTask<BasicAuthResult> CheckAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (!TryDecode(authorization, out string? user, out string? password))
        {
            return BasicAuthResult.Refused;
        }

        string hash = _users.TryGetValue(user, out string? known) ? known : s_decoyHash.Value;
        string cacheKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user + "\0" + password + "\0" + hash)));
        if (_verified.ContainsKey(cacheKey))
        {
            return BasicAuthResult.Authorized;
        }

        if (_refused.ContainsKey(cacheKey))
        {
            return BasicAuthResult.Refused;
        }

        if (Interlocked.Increment(ref s_waiting) > MaxWaitingChecks + MaxConcurrentChecks)
        {
            Interlocked.Decrement(ref s_waiting);
            return BasicAuthResult.Busy;
        }

        bool ok;
        try
        {
            await s_checks.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ok = Verify(password, hash) && known is not null;
            }
            finally
            {
                s_checks.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref s_waiting);
        }

        Remember(ok ? _verified : _refused, cacheKey);
        return ok ? BasicAuthResult.Authorized : BasicAuthResult.Refused;
    }

    private static bool TryDecode(string? authorization, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? user, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? password)
    {
        user = null;
        password = null;
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

        user = decoded[..colon];
        password = decoded[(colon + 1)..];
        return true;
    }

    private static bool Verify(string password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    private static void Remember(ConcurrentDictionary<string, bool> cache, string cacheKey)
    {
        if (cache.Count >= MaxCachedCredentials)
        {
            cache.Clear();
        }

        cache[cacheKey] = true;
    }
}
