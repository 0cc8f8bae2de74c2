using System.Diagnostics.Tracing;

namespace Chorus.Tests.Aggregation;

/// <summary>The reason (last payload string) of the first warning named <paramref name="eventName"/> of the Chorus event source.</summary>
/// <param name="eventName">The event to wait for.</param>
internal sealed class ChorusWarnings(string eventName) : EventListener
{
    private readonly TaskCompletionSource<string> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<string> First => _first.Task;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Chorus")
        {
            EnableEvents(eventSource, EventLevel.Warning);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName == eventName && eventData.Payload is [.., string reason])
        {
            _first.TrySetResult(reason);
        }
    }
}
