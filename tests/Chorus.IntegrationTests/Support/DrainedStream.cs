using System.Text;

namespace Chorus.IntegrationTests.Support;

/// <summary>
/// One output stream of a child, read to its end in the background (exactly as written) so the child never
/// blocks on a full pipe, while a test can look at what has arrived so far.
/// </summary>
internal sealed class DrainedStream
{
    private readonly StringBuilder _text = new();
    private readonly object _gate = new();
    private TaskCompletionSource _changed = NewSignal();
    private bool _ended;

    public DrainedStream(StreamReader reader) => Completion = Task.Run(() => DrainAsync(reader));

    /// <summary>Completes when the stream has ended.</summary>
    public Task Completion { get; }

    /// <summary>Whether the stream has ended (set before the last <see cref="Changed"/> fires).</summary>
    public bool Ended
    {
        get
        {
            lock (_gate)
            {
                return _ended;
            }
        }
    }

    /// <summary>Completes the next time text arrives or the stream ends.</summary>
    public Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>Everything read so far.</summary>
    public string Text
    {
        get
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>The lines read so far, without line ends; the unterminated rest counts once the stream has ended.</summary>
    public IReadOnlyList<string> Lines()
    {
        string text;
        bool ended;
        lock (_gate)
        {
            text = _text.ToString();
            ended = _ended;
        }

        List<string> lines = [.. text.Split('\n').Select(l => l.TrimEnd('\r'))];
        if (!ended || lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    /// <summary>The last line as <see cref="Lines"/> has it, or null before the first.</summary>
    public string? LastLine => Lines() is { Count: > 0 } lines ? lines[^1] : null;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task DrainAsync(StreamReader reader)
    {
        char[] buffer = new char[8192];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (_gate)
                {
                    _text.Append(buffer, 0, read);
                    Signal();
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke with the child: what arrived is all there is.
        }
        catch (ObjectDisposedException)
        {
        }

        lock (_gate)
        {
            _ended = true;
            Signal();
        }
    }

    private void Signal()
    {
        TaskCompletionSource changed = _changed;
        _changed = NewSignal();
        changed.SetResult();
    }
}
