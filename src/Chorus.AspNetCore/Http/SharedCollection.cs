using Chorus.AspNetCore.Buffers;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// One collection that every scrape arriving while it runs shares: the first scrape collects into a body of pooled buffers and kept renderings,
/// the others wait for it, and the buffers go back (the renderings are released) when the last of them has sent its response.
/// </summary>
internal sealed class SharedCollection
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _references = 1;

    /// <summary>The exposition, once <see cref="Completion"/> is done and <see cref="Failure"/> is null.</summary>
    public SegmentedBody? Body { get; private set; }

    /// <summary>Where the source's data ends in <see cref="Body"/> (the self-metrics and <c># EOF</c> follow).</summary>
    public int DataEnd { get; private set; }

    /// <summary>Why the collection failed, if it did.</summary>
    public Exception? Failure { get; private set; }

    public Task Completion => _done.Task;

    /// <summary>Another scrape joins; only called while the collection is still registered as in flight.</summary>
    public void AddReference() => Interlocked.Increment(ref _references);

    public void Complete(SegmentedBody body, int dataEnd)
    {
        Body = body;
        DataEnd = dataEnd;
        _done.SetResult();
    }

    public void Fail(Exception failure)
    {
        Failure = failure;
        _done.SetResult();
    }

    /// <summary>A scrape is done with <see cref="Body"/>; the last one returns it to the pool.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Body?.Dispose();
        }
    }
}
