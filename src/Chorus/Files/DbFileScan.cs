using System.Buffers.Binary;

namespace Chorus.Files;

/// <summary>The result of reading a whole <c>.db</c> file held in memory: its layout, entries and any damage.</summary>
internal sealed class DbFileScan
{
    private DbFileScan(int used, long fileLength, ValueLayout? layout, IReadOnlyList<DbEntry> entries, DbDamage damage)
    {
        Used = used;
        FileLength = fileLength;
        Layout = layout;
        Entries = entries;
        Damage = damage;
    }

    /// <summary>The header's <c>used</c> (0 when the file is shorter than its header).</summary>
    public int Used { get; }

    /// <summary>The size of the file in bytes (its capacity).</summary>
    public long FileLength { get; }

    /// <summary>The detected value layout, or null when the file has no entries to tell by.</summary>
    public ValueLayout? Layout { get; }

    /// <summary>The complete entries, in file order.</summary>
    public IReadOnlyList<DbEntry> Entries { get; }

    /// <summary>What stopped the read early, if anything.</summary>
    public DbDamage Damage { get; }

    /// <summary>This scan with only the first <paramref name="count"/> entries, stopped by <paramref name="damage"/>.</summary>
    public DbFileScan CutAt(int count, DbDamage damage) => new(Used, FileLength, Layout, Entries.Take(count).ToList(), damage);

    /// <summary>Reads the value of an entry.</summary>
    public static double ReadValue(ReadOnlySpan<byte> data, in DbEntry entry) =>
        BinaryPrimitives.ReadDoubleLittleEndian(data[entry.ValueOffset..]);

    /// <summary>Reads the timestamp of an entry, or 0 in the 8-byte layout.</summary>
    public static double ReadTimestamp(ReadOnlySpan<byte> data, in DbEntry entry, ValueLayout layout) =>
        layout == ValueLayout.ValueAndTimestamp16 ? BinaryPrimitives.ReadDoubleLittleEndian(data[(entry.ValueOffset + 8)..]) : 0.0;

    /// <summary>
    /// Scans a file's bytes. Never throws on bad content: damage is reported and the complete entries before it are kept.
    /// </summary>
    /// <param name="data">The file bytes from offset 0 (up to <c>used</c> or the whole file).</param>
    /// <param name="fileLength">The file's length on disk, to tell a short read from a lying header.</param>
    /// <param name="layout">A known layout, or null to detect it.</param>
    public static DbFileScan Scan(ReadOnlySpan<byte> data, long fileLength, ValueLayout? layout = null)
    {
        if (data.Length < DbFormat.HeaderSize)
        {
            return new DbFileScan(0, fileLength, layout, [], new DbDamage(DbDamageKind.ShorterThanHeader, 0, $"file is {fileLength} bytes, shorter than the 8-byte header"));
        }

        int used = DbFormat.ReadUsed(data);
        if (used == 0)
        {
            // prometheus_client reads a zero header as "no entries yet" (the header is written after sizing).
            return new DbFileScan(used, fileLength, layout, [], DbDamage.None);
        }

        if (used < DbFormat.HeaderSize)
        {
            return new DbFileScan(used, fileLength, layout, [], new DbDamage(DbDamageKind.InvalidUsed, 0, $"used is {used}"));
        }

        layout ??= DbLayoutDetector.Detect(data, used);
        var entries = new List<DbEntry>();
        DbDamage damage = DbDamage.None;
        if (layout is { } known)
        {
            var reader = new DbEntryReader(data, known, used);
            while (reader.TryReadNext(out DbEntry entry))
            {
                entries.Add(entry);
            }

            damage = reader.Damage;
        }
        else if (used > DbFormat.HeaderSize)
        {
            damage = new DbDamage(DbDamageKind.UnknownLayout, DbFormat.HeaderSize, "the first entry fits neither the 8-byte nor the 16-byte layout");
        }

        if (used > fileLength || (!damage.IsDamaged && used > data.Length))
        {
            // A header that points past the file is the root cause; report it even when an entry was cut by it.
            damage = new DbDamage(DbDamageKind.UsedBeyondFile, 0, $"used is {used} but only {Math.Min(data.Length, fileLength)} bytes could be read");
        }

        return new DbFileScan(used, fileLength, layout, entries, damage);
    }
}
