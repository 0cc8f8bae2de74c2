using System.Text;
using Chorus.Internal;

namespace Chorus.Files;

/// <summary>One entry as <see cref="DbFileInspection"/> shows it.</summary>
/// <param name="Offset">Where the entry starts in the file.</param>
/// <param name="Key">The key text (invalid UTF-8 replaced by U+FFFD).</param>
/// <param name="Value">The value.</param>
/// <param name="Timestamp">The timestamp (0 in the 8-byte layout).</param>
public readonly record struct DbInspectedEntry(int Offset, string Key, double Value, double Timestamp);

/// <summary>
/// Everything readable about one <c>.db</c> file, for diagnostics (<c>chorus inspect</c>): what its name
/// says, its layout, <c>used</c> against its size, each entry and where any damage starts. Not a fast path.
/// </summary>
public sealed class DbFileInspection
{
    private DbFileInspection(string path)
    {
        Path = path;
        FileName = System.IO.Path.GetFileName(path);
        if (DbFileName.TryParse(FileName, out DbFileName name, out string? error))
        {
            Name = name;
        }
        else
        {
            NameError = error;
        }
    }

    /// <summary>The path inspected.</summary>
    public string Path { get; }

    /// <summary>The file name.</summary>
    public string FileName { get; }

    /// <summary>Kind, gauge mode and identity from the name, or null when the name is not one the collector reads.</summary>
    public DbFileName? Name { get; }

    /// <summary>Why the name is not usable, or null.</summary>
    public string? NameError { get; }

    /// <summary>The file's size (its capacity); -1 when it could not be read.</summary>
    public long FileLength { get; private set; } = -1;

    /// <summary>The header's <c>used</c>.</summary>
    public int Used { get; private set; }

    /// <summary>The detected layout, or null when there is nothing to tell by.</summary>
    public ValueLayout? Layout { get; private set; }

    /// <summary>The complete entries before any damage.</summary>
    public IReadOnlyList<DbInspectedEntry> Entries { get; private set; } = [];

    /// <summary>Damage found (an undecodable key counts as <see cref="DbDamageKind.InvalidKey"/>).</summary>
    public DbDamage Damage { get; private set; }

    /// <summary>Set when the file could not be read at all.</summary>
    public string? ReadError { get; private set; }

    /// <summary>Reads and inspects a file. Never throws for bad content or I/O errors.</summary>
    /// <param name="path">The file.</param>
    public static DbFileInspection Inspect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var inspection = new DbFileInspection(path);
        byte[] data;
        FileStatus status;
        try
        {
            // Bounded by the header's used: a huge file is never read whole.
            data = RegularFile.ReadUsed(path, followSymlinks: true, out status);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            inspection.ReadError = e.Message;
            return inspection;
        }

        inspection.FileLength = status.Length;
        DbFileScan scan = DbFileScan.Scan(data, status.Length);
        inspection.Used = scan.Used;
        inspection.Layout = scan.Layout;
        inspection.Damage = scan.Damage;
        var entries = new List<DbInspectedEntry>(scan.Entries.Count);
        foreach (DbEntry entry in scan.Entries)
        {
            ReadOnlySpan<byte> key = data.AsSpan(entry.KeyOffset, entry.KeyLength);
            if (!DbKey.TryParse(key, out _, out string? error))
            {
                inspection.Damage = new DbDamage(DbDamageKind.InvalidKey, entry.Offset, error ?? "invalid key");
                break;
            }

            entries.Add(new DbInspectedEntry(
                entry.Offset,
                Encoding.UTF8.GetString(key),
                DbFileScan.ReadValue(data, entry),
                DbFileScan.ReadTimestamp(data, entry, scan.Layout ?? ValueLayout.Value8)));
        }

        inspection.Entries = entries;
        return inspection;
    }
}
