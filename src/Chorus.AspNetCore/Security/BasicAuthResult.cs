namespace Chorus.AspNetCore.Security;

/// <summary>The outcome of checking a request's basic credentials.</summary>
internal enum BasicAuthResult
{
    /// <summary>A configured user with the right password.</summary>
    Authorized,

    /// <summary>No credentials, an unknown user or a wrong password: 401.</summary>
    Refused,

    /// <summary>
    /// New credentials arrived while the bcrypt checks already running and waiting were at their limit: 429, so a
    /// flood of guesses cannot take the CPU (credentials already checked are answered from the caches).
    /// </summary>
    Busy,
}
