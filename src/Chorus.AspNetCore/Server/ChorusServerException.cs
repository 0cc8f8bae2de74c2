namespace Chorus.AspNetCore.Server;

/// <summary>The exporter could not start; the message says what was wrong and what to do.</summary>
public sealed class ChorusServerException : Exception
{
    /// <summary>Creates the exception with no message.</summary>
    public ChorusServerException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    public ChorusServerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What was wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public ChorusServerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
