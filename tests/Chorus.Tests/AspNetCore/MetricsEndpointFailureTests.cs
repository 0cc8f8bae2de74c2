using System.Buffers;
using System.Text;
using Chorus.AspNetCore;
using Chorus.AspNetCore.Http;
using Chorus.Exposition;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Chorus.Tests.AspNetCore;

/// <summary>A scrape that fails, whatever fails in it, leaves the next scrape of its format to collect afresh.</summary>
public sealed class MetricsEndpointFailureTests
{
    [Fact]
    public async Task AScrapeThatFailedAndThenFailedToLog_DoesNotHoldUpTheNext()
    {
        var source = new FailingOnceSource("up 1\n"u8.ToArray());
        var endpoint = new MetricsEndpoint(source, new ChorusEndpointOptions { IncludeSelfMetrics = false }, new ThrowingLogger());

        // The collection fails, then so does the log line about it (a logging provider that throws).
        await Assert.ThrowsAnyAsync<Exception>(() => ScrapeAsync(endpoint));

        (int status, string body) = await ScrapeAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(StatusCodes.Status200OK, status);
        Assert.Equal("up 1\n", body);
    }

    private static async Task<(int Status, string Body)> ScrapeAsync(MetricsEndpoint endpoint)
    {
        var sent = new MemoryStream();
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Accept = "text/plain;version=0.0.4";
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(sent));
        await endpoint.HandleAsync(context);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(sent.ToArray()));
    }

    private sealed class FailingOnceSource(byte[] exposition) : IScrapeSource
    {
        private int _collections;

        public void Collect(IBufferWriter<byte> output, ExpositionFormat format)
        {
            if (Interlocked.Increment(ref _collections) == 1)
            {
                throw new InvalidOperationException("The first collection fails.");
            }

            output.Write(exposition);
        }
    }

    private sealed class ThrowingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new InvalidOperationException("The logging provider fails.");
    }
}
