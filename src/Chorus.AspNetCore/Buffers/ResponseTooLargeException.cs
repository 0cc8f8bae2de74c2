namespace Chorus.AspNetCore.Buffers;

/// <summary>Thrown when an exposition would exceed the configured maximum response size.</summary>
internal sealed class ResponseTooLargeException : Exception
{
    public ResponseTooLargeException(int maxBytes)
        : base($"The exposition is larger than the maximum response size of {maxBytes} bytes; raise ChorusEndpointOptions.MaxResponseBytes or reduce the number of series.")
    {
        MaxBytes = maxBytes;
    }

    public ResponseTooLargeException()
    {
    }

    public ResponseTooLargeException(string message)
        : base(message)
    {
    }

    public ResponseTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The limit that was hit.</summary>
    public int MaxBytes { get; }
}
