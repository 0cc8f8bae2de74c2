using System.Globalization;
using System.Text;
using Chorus.Internal;

namespace Chorus.Files;

/// <summary>
/// The Chorus sidecar that lists keys removed from a <c>.db</c> file (<c>counter_3.db.removed</c> next to
/// <c>counter_3.db</c>). Entries cannot be deleted from prometheus_client's append-only format, so a
/// removal is recorded here instead; Chorus readers skip listed keys of that one file. prometheus_client's
/// collector only reads <c>*.db</c>, so it ignores the sidecar and keeps showing the series, as it does for
/// its own <c>remove()</c>.
/// </summary>
/// <remarks>
/// Format: UTF-8 text, the first line <see cref="Header"/>, then optionally <c>inode N</c> (the file the keys were removed
/// from, <see cref="RemovedKeyList"/>), then one key per line exactly as stored in the file. Keys are JSON with
/// <c>ensure_ascii</c>, so they never contain a raw newline, and start with <c>[</c>: a reader that predates the inode
/// line takes it for a key no file holds. Written to a temporary name and renamed, so readers see the old or the new
/// list, never half of one.
/// </remarks>
internal static class DbRemovedKeys
{
    /// <summary>The first line of every sidecar.</summary>
    public const string Header = "chorus-removed-keys 1";

    /// <summary>The sidecar's suffix, appended to the <c>.db</c> file's name.</summary>
    public const string Suffix = ".removed";

    // The line naming the file the keys were removed from.
    private const string InodePrefix = "inode ";

    // Far beyond any real sidecar (one stored key per removed series); a larger one is not ours.
    private const int MaxBytes = 64 << 20;

    /// <summary>The sidecar path for a <c>.db</c> file.</summary>
    public static string PathFor(string dbPath) => dbPath + Suffix;

    /// <summary>Reads the removed keys of <paramref name="dbPath"/>; an absent or unreadable sidecar means none.</summary>
    public static RemovedKeyList Read(string dbPath)
    {
        string path = PathFor(dbPath);
        byte[] data;
        try
        {
            data = RegularFile.ReadSmall(path, MaxBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing, not a regular file or unreadable: nothing is hidden (the series shows, never a wrong removal).
            return RemovedKeyList.None;
        }

        var keys = new List<byte[]>();
        ulong? inode = null;
        ReadOnlySpan<byte> rest = data;
        bool first = true;
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (first)
            {
                if (!line.SequenceEqual(Encoding.ASCII.GetBytes(Header)))
                {
                    return RemovedKeyList.None;
                }

                first = false;
            }
            else if (inode is null && keys.Count == 0 && TryParseInode(line) is { } named)
            {
                inode = named;
            }
            else if (!line.IsEmpty)
            {
                keys.Add(line.ToArray());
            }
        }

        return new RemovedKeyList(keys, inode);
    }

    /// <summary>Replaces the sidecar of <paramref name="dbPath"/> atomically; an empty list deletes it.</summary>
    /// <param name="dbPath">The <c>.db</c> file.</param>
    /// <param name="keys">The removed keys, exactly as stored.</param>
    /// <param name="inode">The inode of the file they are removed from, when only that file's readers must skip them (a rewrite's).</param>
    public static void Write(string dbPath, IEnumerable<byte[]> keys, ulong? inode = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        string path = PathFor(dbPath);
        using var buffer = new MemoryStream();
        buffer.Write(Encoding.ASCII.GetBytes(Header));
        buffer.WriteByte((byte)'\n');
        if (inode is { } named)
        {
            buffer.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{InodePrefix}{named}")));
            buffer.WriteByte((byte)'\n');
        }

        int count = 0;
        foreach (byte[] key in keys)
        {
            buffer.Write(key);
            buffer.WriteByte((byte)'\n');
            count++;
        }

        if (count == 0)
        {
            File.Delete(path);
            return;
        }

        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        RegularFile.WriteNew(temporary, buffer.ToArray());
        File.Move(temporary, path, overwrite: true);
    }

    private static ulong? TryParseInode(ReadOnlySpan<byte> line) =>
        line.StartsWith(Encoding.ASCII.GetBytes(InodePrefix))
        && ulong.TryParse(line[InodePrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode) ? inode : null;
}
