using Chorus.Files;

namespace Chorus.Compaction;

/// <summary>
/// Folds the entries of several files of one type, gauge mode and layout into one archive's bytes, merging
/// entries with identical key bytes the way prometheus_client's collector merges them across files, so that
/// reading the archive gives what reading the files gave. Knows nothing about liveness or the filesystem.
/// </summary>
internal sealed class ArchiveFold
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<(byte[] Key, double Value, double Timestamp)> _entries = [];
    private readonly DbFileKind _kind;
    private readonly GaugeMode? _mode;

    public ArchiveFold(DbFileKind kind, GaugeMode? mode, ValueLayout layout)
    {
        if (kind == DbFileKind.Gauge && (mode is null || mode.Value.KeepsPid() || mode.Value.IsLive()))
        {
            throw new ArgumentException($"Gauges of mode {mode} are per process or live and cannot be folded.", nameof(mode));
        }

        _kind = kind;
        _mode = mode;
        Layout = layout;
    }

    /// <summary>The value layout of every input and of the archive.</summary>
    public ValueLayout Layout { get; }

    /// <summary>Number of distinct keys folded so far.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds every entry of one file (already scanned with <see cref="Layout"/>).</summary>
    public void Add(ReadOnlySpan<byte> data, DbFileScan scan, IReadOnlyCollection<byte[]>? removedKeys = null)
    {
        if (scan.Layout is { } layout && layout != Layout)
        {
            throw new InvalidOperationException($"A {layout} file cannot be folded into a {Layout} archive.");
        }

        foreach (DbEntry entry in scan.Entries)
        {
            ReadOnlySpan<byte> key = data.Slice(entry.KeyOffset, entry.KeyLength);
            if (removedKeys is { Count: > 0 } && IsRemoved(removedKeys, key))
            {
                // Removed by its writer (Remove/Clear, listed in the .db.removed sidecar): not carried into the archive.
                continue;
            }

            double value = DbFileScan.ReadValue(data, entry);
            double timestamp = DbFileScan.ReadTimestamp(data, entry, Layout);
            string text = Convert.ToBase64String(key);
            if (!_index.TryGetValue(text, out int at))
            {
                _index[text] = _entries.Count;
                _entries.Add((key.ToArray(), value, timestamp));
                continue;
            }

            (byte[] k, double v, double t) = _entries[at];
            _entries[at] = Merge(k, v, t, value, timestamp);
        }
    }

    private static bool IsRemoved(IReadOnlyCollection<byte[]> removedKeys, ReadOnlySpan<byte> key)
    {
        foreach (byte[] removed in removedKeys)
        {
            if (key.SequenceEqual(removed))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The archive file's bytes: header, entries, and zeros up to a 64 KiB multiple as prometheus_client sizes files.</summary>
    public byte[] ToFileBytes()
    {
        long used = DbFormat.HeaderSize;
        foreach ((byte[] key, _, _) in _entries)
        {
            used += DbFormat.EntrySize(key.Length, Layout);
        }

        if (used > DbFormat.MaxFileSize)
        {
            throw new InvalidOperationException("The archive would exceed the 2 GiB the format can describe.");
        }

        long capacity = DbFormat.InitialCapacity;
        while (capacity < used)
        {
            capacity *= 2;
        }

        byte[] bytes = new byte[capacity];
        int position = DbFormat.HeaderSize;
        foreach ((byte[] key, double value, double timestamp) in _entries)
        {
            position += DbFormat.WriteEntry(bytes.AsSpan(position), key, Layout, value, timestamp);
        }

        DbFormat.WriteUsed(bytes, position);
        return bytes;
    }

    private (byte[] Key, double Value, double Timestamp) Merge(byte[] key, double value, double timestamp, double otherValue, double otherTimestamp)
    {
        if (_kind != DbFileKind.Gauge)
        {
            return (key, value + otherValue, 0.0);
        }

        // Same rules as prometheus_client's merge: the first value seeds min/max and is replaced only on a strict
        // comparison (so a NaN seed sticks); mostrecent keeps the strictly newer timestamp, ties keep the first.
        return _mode switch
        {
            GaugeMode.Min => otherValue < value ? (key, otherValue, otherTimestamp) : (key, value, timestamp),
            GaugeMode.Max => otherValue > value ? (key, otherValue, otherTimestamp) : (key, value, timestamp),
            GaugeMode.MostRecent => otherTimestamp > timestamp ? (key, otherValue, otherTimestamp) : (key, value, timestamp),
            _ => (key, value + otherValue, 0.0),
        };
    }
}
