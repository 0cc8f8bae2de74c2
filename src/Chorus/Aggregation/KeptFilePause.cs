namespace Chorus.Aggregation;

/// <summary>
/// Lets a compaction stop this process's readers from holding a directory's files open while it decides
/// which writers are alive (it counts every process holding a writer's file, this one included).
/// </summary>
internal static class KeptFilePause
{
    private static readonly Lock s_gate = new();
    private static readonly Dictionary<string, int> s_paused = new(StringComparer.Ordinal);
    private static readonly List<WeakReference<MultiProcessDirectory>> s_readers = [];

    /// <summary>Registers a reader of <see cref="MultiProcessDirectory.RealDirectory"/>.</summary>
    public static void Register(MultiProcessDirectory reader)
    {
        lock (s_gate)
        {
            s_readers.RemoveAll(r => !r.TryGetTarget(out _));
            s_readers.Add(new WeakReference<MultiProcessDirectory>(reader));
        }
    }

    public static void Unregister(MultiProcessDirectory reader)
    {
        lock (s_gate)
        {
            s_readers.RemoveAll(r => !r.TryGetTarget(out MultiProcessDirectory? live) || ReferenceEquals(live, reader));
        }
    }

    /// <summary>True while a compaction of <paramref name="realDirectory"/> runs in this process.</summary>
    public static bool IsPaused(string realDirectory)
    {
        lock (s_gate)
        {
            return s_paused.Count > 0 && s_paused.ContainsKey(realDirectory);
        }
    }

    /// <summary>
    /// Releases every kept file of readers of <paramref name="realDirectory"/> and stops them keeping files
    /// until the returned handle is disposed.
    /// </summary>
    public static IDisposable Begin(string realDirectory)
    {
        List<MultiProcessDirectory> readers = [];
        lock (s_gate)
        {
            s_paused[realDirectory] = s_paused.GetValueOrDefault(realDirectory) + 1;
            foreach (WeakReference<MultiProcessDirectory> reference in s_readers)
            {
                if (reference.TryGetTarget(out MultiProcessDirectory? reader) && reader.RealDirectory == realDirectory)
                {
                    readers.Add(reader);
                }
            }
        }

        // Outside the registry lock: releasing waits for a collection in progress to finish.
        foreach (MultiProcessDirectory reader in readers)
        {
            reader.ReleaseKeptFiles();
        }

        return new Resume(realDirectory);
    }

    private sealed class Resume(string realDirectory) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            lock (s_gate)
            {
                if (_done)
                {
                    return;
                }

                _done = true;
                int count = s_paused[realDirectory] - 1;
                if (count == 0)
                {
                    s_paused.Remove(realDirectory);
                }
                else
                {
                    s_paused[realDirectory] = count;
                }
            }
        }
    }
}
