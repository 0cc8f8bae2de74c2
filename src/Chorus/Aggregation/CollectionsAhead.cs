namespace Chorus.Aggregation;

/// <summary>
/// Runs a collection ahead of the next scrape shortly after <c>*.db</c> names change in a directory: when a recycling
/// server replaces a worker, the new worker's files are read (keys parsed, families merged and formatted) between
/// scrapes instead of inside the next one, which then only refreshes them as any live file.
/// </summary>
/// <remarks>
/// <para>
/// Nothing served depends on it: a scrape still lists and refreshes whatever changed since, so a file written after the
/// collection ahead (or one the watch missed) is read by the scrape as before. The watch is the framework's
/// <see cref="FileSystemWatcher"/> (inotify on Linux), names only, so live writers' value writes wake nothing.
/// </para>
/// <para>
/// A burst of names (a worker's four files, a compaction) makes one collection, <see cref="Delay"/> after its first
/// event. Collections ahead take at most 1/<see cref="MaxDutyCycle"/> of a core: the next one waits at least that many times
/// as long as the last took (a host whose warm collection takes 300 ms reads ahead at most every 6 s), and never
/// sooner than <see cref="MinimumGap"/>. A scrape that arrives during one waits for it, as for any collection in flight.
/// </para>
/// </remarks>
internal sealed class CollectionsAhead : IDisposable
{
    /// <summary>How long after the first change of a burst its collection runs.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    /// <summary>The least time between the starts of two collections ahead.</summary>
    public static readonly TimeSpan MinimumGap = TimeSpan.FromMilliseconds(250);

    /// <summary>How many times its own duration a collection ahead waits before the next.</summary>
    public const int MaxDutyCycle = 20;

    private readonly FileSystemWatcher _watcher;
    private readonly Timer _timer;
    private readonly Func<TimeSpan?> _collect;
    private readonly Action<Exception> _failed;
    private readonly Lock _gate = new();
    private bool _scheduled;
    private bool _running;
    private bool _disposed;
    private long _nextAllowed;

    /// <summary>Watches <paramref name="directory"/>; <paramref name="collect"/> runs a collection ahead and returns how long it took (null: none was run).</summary>
    /// <param name="directory">The multiprocess directory.</param>
    /// <param name="collect">Runs one collection ahead.</param>
    /// <param name="failed">Told of a collection ahead that threw (on the thread pool an exception would end the process).</param>
    public CollectionsAhead(string directory, Func<TimeSpan?> collect, Action<Exception> failed)
    {
        _collect = collect;
        _failed = failed;
        _timer = new Timer(static state => ((CollectionsAhead)state!).Run(), this, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(directory, "*.db") { NotifyFilter = NotifyFilters.FileName, IncludeSubdirectories = false };
        _watcher.Created += OnNamesChanged;
        _watcher.Deleted += OnNamesChanged;
        _watcher.Renamed += OnNamesChanged;
        try
        {
            _watcher.EnableRaisingEvents = true;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>How many times a collection ahead was started, whether it ran, found nothing to do or failed (tests).</summary>
    public int Runs { get; private set; }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _watcher.Dispose();
        _timer.Dispose();
    }

    private void OnNamesChanged(object sender, FileSystemEventArgs change)
    {
        lock (_gate)
        {
            if (_scheduled || _disposed)
            {
                return;
            }

            _scheduled = true;
            if (!_running)
            {
                // Names that change during a collection ahead are scheduled when it ends, after its gap.
                ScheduleLocked();
            }
        }
    }

    /// <summary>Sets the timer for the next collection ahead. Called under <see cref="_gate"/>.</summary>
    private void ScheduleLocked()
    {
        long wait = Math.Max((long)Delay.TotalMilliseconds, _nextAllowed - Environment.TickCount64);
        _timer.Change(wait, Timeout.Infinite);
    }

    private void Run()
    {
        lock (_gate)
        {
            // Names that change from here on make another collection ahead, once this one has ended.
            _scheduled = false;
            if (_disposed)
            {
                return;
            }

            _running = true;
        }

        long started = Environment.TickCount64;
        long gap = (long)MinimumGap.TotalMilliseconds;
        try
        {
            TimeSpan took = _collect() ?? TimeSpan.Zero;
            gap = Math.Max(gap, (long)took.TotalMilliseconds * MaxDutyCycle);
        }
        catch (Exception e)
        {
            _failed(e);
        }

        lock (_gate)
        {
            Runs++;
            _nextAllowed = started + gap;
            _running = false;
            if (_scheduled && !_disposed)
            {
                ScheduleLocked();
            }
        }
    }
}
