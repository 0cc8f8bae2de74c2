using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Chorus.Internal;

namespace Chorus.Files;

/// <summary>
/// The record a compaction writes (atomically, fsynced) before it changes anything a reader can see, and
/// removes after its last visible change. It names, per archive, the archive's old and new inode and the
/// files folded into the new one, so a reader that read a directory mid-compaction can tell which of the
/// files it read are already counted in the archive it read (see docs/compaction.md).
/// </summary>
internal sealed record CompactionJournal(IReadOnlyList<JournalGroup> Groups)
{
    /// <summary>The journal's file name inside the metrics directory (not <c>*.db</c>, so Python ignores it).</summary>
    public const string FileName = "chorus-compact.journal";

    /// <summary>Reads the journal of <paramref name="directory"/>; null when there is none (no compaction under way).</summary>
    /// <exception cref="InvalidDataException">The journal exists but cannot be parsed.</exception>
    public static CompactionJournal? TryRead(string directory) => TryReadFile(Path.Combine(directory, FileName));

    // Far beyond any real journal (about 100 bytes per file folded); a larger one is not ours.
    private const int MaxBytes = 64 << 20;

    /// <summary>Reads the journal at <paramref name="path"/>; null when there is none.</summary>
    /// <exception cref="InvalidDataException">The journal exists but cannot be parsed.</exception>
    public static CompactionJournal? TryReadFile(string path)
    {
        // Checked first so the common case (no compaction under way) costs a stat, not an exception.
        if (!File.Exists(path))
        {
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = RegularFile.ReadSmall(path, MaxBytes);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (IOException e)
        {
            // Not a regular file, or absurdly large: as unusable as a journal that does not parse.
            throw new InvalidDataException($"The compaction journal '{path}' is unreadable: {e.Message}", e);
        }

        try
        {
            return Parse(bytes);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"The compaction journal '{path}' is unreadable: {e.Message}", e);
        }
    }

    /// <summary>
    /// Decides how a directory pass that read <paramref name="filesRead"/> (file name → identity of the
    /// file actually read) must be counted while this journal was in force. Returns false when the pass
    /// mixed states in a way that cannot be corrected and must be read again.
    /// </summary>
    /// <param name="filesRead">Every <c>.db</c> file the pass read, by name, with the identity of the open file.</param>
    /// <param name="excluded">Names whose contributions are already inside an archive that was read.</param>
    public bool TryReconcile(IReadOnlyDictionary<string, FileIdentity> filesRead, out IReadOnlySet<string> excluded)
    {
        var drop = new HashSet<string>(StringComparer.Ordinal);
        excluded = drop;
        foreach (JournalGroup group in Groups)
        {
            bool readArchive = filesRead.TryGetValue(group.Archive, out FileIdentity archiveRead);
            if (readArchive && archiveRead == group.NewArchive)
            {
                // Also while undoing: folded files are renamed back before the old archive returns, so a file
                // read next to the new archive is still counted inside it (a process that reopened it meanwhile
                // shows its newest increments once the old archive is back; totals never go down).
                foreach (JournalFolded folded in group.Folded)
                {
                    if (filesRead.TryGetValue(folded.Name, out FileIdentity id) && id == folded.Id)
                    {
                        drop.Add(folded.Name);
                    }
                }

                continue;
            }

            bool oldState = readArchive ? group.OldArchive == archiveRead : group.OldArchive is null;
            if (!oldState)
            {
                return false;
            }

            // The old archive was read, so every folded file must have been read too (none claimed or unlinked yet).
            foreach (JournalFolded folded in group.Folded)
            {
                if (!filesRead.TryGetValue(folded.Name, out FileIdentity id) || id != folded.Id)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Writes the journal atomically: a temporary file, fsync, rename into place, directory fsync.</summary>
    /// <param name="directory">The metrics directory.</param>
    /// <param name="flushToDisk">False skips the fsyncs (a process crash is still safe; a power loss may not be).</param>
    public void WriteDurably(string directory, bool flushToDisk)
    {
        string path = Path.Combine(directory, FileName);
        string temp = path + ".tmp";
        using (FileStream stream = RegularFile.CreateNew(temp, FileAccess.Write, FileShare.Read))
        {
            stream.Write(Serialize());
            stream.Flush(flushToDisk);
        }

        File.Move(temp, path, overwrite: true);
        if (flushToDisk)
        {
            NativeFile.SyncDirectory(directory);
        }
    }

    /// <summary>Removes the journal. A removal lost to a power cut only makes the next run's recovery redo finished work.</summary>
    public static void Delete(string directory) => File.Delete(Path.Combine(directory, FileName));

    /// <summary>The journal with one group marked as being undone.</summary>
    public CompactionJournal WithUndoing(string archive) =>
        new(Groups.Select(g => g.Archive == archive ? g with { Undoing = true } : g).ToList());

    private byte[] Serialize()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", 1);
            writer.WriteStartArray("groups");
            foreach (JournalGroup group in Groups)
            {
                writer.WriteStartObject();
                writer.WriteString("archive", group.Archive);
                writer.WriteString("old", Format(group.OldArchive));
                writer.WriteString("temp", group.Temp);
                writer.WriteString("new", Format(group.NewArchive));
                writer.WriteString("backup", group.Backup);
                writer.WriteBoolean("undoing", group.Undoing);
                writer.WriteStartArray("folded");
                foreach (JournalFolded folded in group.Folded)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", folded.Name);
                    writer.WriteString("claim", folded.Claim);
                    writer.WriteString("id", Format(folded.Id));
                    if (folded.Bytes is { } bytes)
                    {
                        writer.WriteNumber("length", bytes.Length);
                        writer.WriteString("xxh3", bytes.Hash.ToString("x16", CultureInfo.InvariantCulture));
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static CompactionJournal Parse(byte[] bytes)
    {
        using var document = JsonDocument.Parse(bytes);
        JsonElement root = document.RootElement;
        if (root.GetProperty("version").GetInt32() != 1)
        {
            throw new FormatException("unknown journal version");
        }

        var groups = new List<JournalGroup>();
        foreach (JsonElement g in root.GetProperty("groups").EnumerateArray())
        {
            var folded = new List<JournalFolded>();
            foreach (JsonElement f in g.GetProperty("folded").EnumerateArray())
            {
                FoldedBytes? foldedBytes = f.TryGetProperty("length", out JsonElement length) && f.TryGetProperty("xxh3", out JsonElement hash)
                    ? new FoldedBytes(length.GetInt32(), ulong.Parse(hash.GetString()!, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture))
                    : null;
                folded.Add(new JournalFolded(f.GetProperty("name").GetString()!, f.GetProperty("claim").GetString()!, ParseId(f.GetProperty("id").GetString())!.Value, foldedBytes));
            }

            groups.Add(new JournalGroup(
                g.GetProperty("archive").GetString()!,
                ParseId(g.GetProperty("old").GetString()),
                g.GetProperty("temp").GetString()!,
                ParseId(g.GetProperty("new").GetString())!.Value,
                g.GetProperty("backup").GetString(),
                g.GetProperty("undoing").GetBoolean(),
                folded));
        }

        return new CompactionJournal(groups);
    }

    private static FileIdentity? ParseId(string? text)
    {
        if (text is null)
        {
            return null;
        }

        // "device/inode", as Format writes it.
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            throw new FormatException($"bad file id '{text}'");
        }

        ulong device = ulong.Parse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture);
        ulong inode = ulong.Parse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture);
        return new FileIdentity(device, inode);
    }

    private static string? Format(FileIdentity? id) =>
        id is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value.Device}/{value.Inode}") : null;
}

/// <summary>One archive replaced by a compaction.</summary>
/// <param name="Archive">The archive's file name (for example <c>counter_archive8.db</c>).</param>
/// <param name="OldArchive">The identity of the archive before, or null when there was none.</param>
/// <param name="Temp">The non-<c>.db</c> name the new archive was written under.</param>
/// <param name="NewArchive">The identity of the new archive.</param>
/// <param name="Backup">A hard link to the old archive (for undo), or null when there was none.</param>
/// <param name="Undoing">True while the compactor puts the old state back.</param>
/// <param name="Folded">The files whose values the new archive contains.</param>
internal sealed record JournalGroup(string Archive, FileIdentity? OldArchive, string Temp, FileIdentity NewArchive, string? Backup, bool Undoing, IReadOnlyList<JournalFolded> Folded);

/// <summary>A file folded into an archive.</summary>
/// <param name="Name">Its <c>.db</c> name.</param>
/// <param name="Claim">The non-<c>.db</c> name it is renamed to before it is unlinked.</param>
/// <param name="Id">Its identity.</param>
/// <param name="Bytes">What its bytes were when folded; null in a journal written before it was recorded.</param>
internal sealed record JournalFolded(string Name, string Claim, FileIdentity Id, FoldedBytes? Bytes = null);
