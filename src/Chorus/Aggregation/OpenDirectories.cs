using Chorus.Internal;

namespace Chorus.Aggregation;

/// <summary>
/// The readers open in this process, so that a compactor running here (<c>chorus serve --compact-every</c>) can ask
/// them to let go of kept files first. Compaction judges a writer alive by who holds its files open, and a reader's
/// own kept descriptors and mappings would otherwise make every recently changed file look held.
/// </summary>
internal static class OpenDirectories
{
    private static readonly Lock s_gate = new();
    private static readonly List<WeakReference<MultiProcessDirectory>> s_open = [];

    public static void Add(MultiProcessDirectory directory)
    {
        lock (s_gate)
        {
            s_open.RemoveAll(w => !w.TryGetTarget(out _));
            s_open.Add(new WeakReference<MultiProcessDirectory>(directory));
        }
    }

    public static void Remove(MultiProcessDirectory directory)
    {
        lock (s_gate)
        {
            s_open.RemoveAll(w => !w.TryGetTarget(out MultiProcessDirectory? d) || ReferenceEquals(d, directory));
        }
    }

    /// <summary>Makes every reader of <paramref name="canonicalDirectory"/> in this process close its kept files; returns how many readers did.</summary>
    /// <param name="canonicalDirectory">The directory, symlinks resolved.</param>
    public static int ReleaseKeptFiles(string canonicalDirectory)
    {
        List<MultiProcessDirectory> readers = [];
        lock (s_gate)
        {
            foreach (WeakReference<MultiProcessDirectory> reference in s_open)
            {
                if (reference.TryGetTarget(out MultiProcessDirectory? reader))
                {
                    readers.Add(reader);
                }
            }
        }

        int released = 0;
        foreach (MultiProcessDirectory reader in readers)
        {
            if (string.Equals(NativeFile.RealPath(reader.Directory), canonicalDirectory, StringComparison.Ordinal))
            {
                reader.ReleaseKeptFiles();
                released++;
            }
        }

        return released;
    }
}
