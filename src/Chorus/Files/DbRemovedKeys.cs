using System.Text;

namespace Chorus.Files;

/// <summary>
/// The Chorus sidecar that lists keys removed from a <c>.db</c> file (<c>counter_3.db.removed</c> next to
/// <c>counter_3.db</c>). Entries cannot be deleted from prometheus_client's append-only format, so a
/// removal is recorded here instead; Chorus readers skip listed keys of that one file. prometheus_client's
/// collector only reads <c>*.db</c>, so it ignores the sidecar and keeps showing the series, as it does for
/// its own <c>remove()</c>.
/// </summary>
/// <remarks>
/// Format: UTF-8 text, the first line <see cref="Header"/>, then one key per line exactly as stored in the
/// file. Keys are JSON with <c>ensure_ascii</c>, so they never contain a raw newline. Written to a temporary
/// name and renamed, so readers see the old or the new list, never half of one.
/// </remarks>
internal static class DbRemovedKeys
{
    /// <summary>The first line of every sidecar.</summary>
    public const string Header = "chorus-removed-keys 1";

    /// <summary>The sidecar's suffix, appended to the <c>.db</c> file's name.</summary>
    public const string Suffix = ".removed";

    /// <summary>The sidecar path for a <c>.db</c> file.</summary>
    public static string PathFor(string dbPath) => dbPath + Suffix;

    /// <summary>Reads the removed keys of <paramref name="dbPath"/>; an absent or unreadable sidecar means none.</summary>
    public static IReadOnlyList<byte[]> Read(string dbPath)
    {
        string path = PathFor(dbPath);
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }

        var keys = new List<byte[]>();
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
                    return [];
                }

                first = false;
            }
            else if (!line.IsEmpty)
            {
                keys.Add(line.ToArray());
            }
        }

        return keys;
    }

    /// <summary>Replaces the sidecar of <paramref name="dbPath"/> atomically; an empty list deletes it.</summary>
    public static void Write(string dbPath, IEnumerable<byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        string path = PathFor(dbPath);
        using var buffer = new MemoryStream();
        buffer.Write(Encoding.ASCII.GetBytes(Header));
        buffer.WriteByte((byte)'\n');
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
        File.WriteAllBytes(temporary, buffer.ToArray());
        File.Move(temporary, path, overwrite: true);
    }
}
