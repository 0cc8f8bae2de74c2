using System.Text;

namespace Chorus.IntegrationTests.Support;

/// <summary>
/// One output stream of a child, read to its end in the background (exactly as written) so the child never
/// blocks on a full pipe, while a test can look at what has arrived so far.
/// </summary>
internal sealed class DrainedStream
{
    private readonly StringBuilder _text = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _partial = new();
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

    /// <summary>
    /// Line <paramref name="index"/> (from 0, without its line end) once it has arrived, else null; the
    /// unterminated rest counts as a line once the stream has ended.
    /// </summary>
    public string? LineAt(int index)
    {
        lock (_gate)
        {
            return index < _lines.Count ? _lines[index]
                : index == _lines.Count && _ended && _partial.Length > 0 ? _partial.ToString()
                : null;
        }
    }

    /// <summary>The last line as <see cref="LineAt"/> has it, or null before the first.</summary>
    public string? LastLine
    {
        get
        {
            lock (_gate)
            {
                return _ended && _partial.Length > 0 ? _partial.ToString() : _lines.Count > 0 ? _lines[^1] : null;
            }
        }
    }

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
                    SplitLines(buffer.AsSpan(0, read));
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

    private void SplitLines(ReadOnlySpan<char> chunk)
    {
        for (int newline = chunk.IndexOf('\n'); newline >= 0; newline = chunk.IndexOf('\n'))
        {
            _partial.Append(chunk[..newline]);
            _lines.Add(_partial.ToString().TrimEnd('\r'));
            _partial.Clear();
            chunk = chunk[(newline + 1)..];
        }

        _partial.Append(chunk);
    }

    private void Signal()
    {
        TaskCompletionSource changed = _changed;
        _changed = NewSignal();
        changed.SetResult();
    }
}
