using Microsoft.AspNetCore.Http;

namespace Chorus.AspNetCore.Server;

/// <summary>
/// At most <c>max</c> requests answered at once (<c>--web.max-requests</c>); the others wait for a turn, as long as
/// their client does. The number waiting is bounded by Kestrel's connection limit (HTTP/1.1 has one request per
/// connection in flight), so a burst costs at most <c>max</c> response buffers instead of one per connection.
/// </summary>
internal sealed class RequestGate(int max) : IDisposable
{
    private readonly SemaphoreSlim _turns = new(max, max);

    public void Dispose() => _turns.Dispose();

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await _turns.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // the client left while waiting: nothing to answer
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            _turns.Release();
        }
    }
}
