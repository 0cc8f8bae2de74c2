namespace Chorus.AspNetCore.Security;

/// <summary>A web configuration file that cannot be used; the message says what is wrong and where.</summary>
public sealed class WebConfigException : Exception
{
    /// <summary>Creates the exception with no message.</summary>
    public WebConfigException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public WebConfigException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
