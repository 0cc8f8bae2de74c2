using System.Buffers.Binary;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>Parses the entries of a file never parsed before from a walk done ahead (<see cref="FileLoader"/>'s cold half).</summary>
/// <param name="file">The file, never parsed before.</param>
/// <param name="data">Its bytes from offset 0.</param>
/// <param name="walked">Its entries, walked over <paramref name="data"/>.</param>
/// <param name="pass">The pass, which counts the entries parsed.</param>
/// <param name="valuesRead">True when the file's values were taken from <paramref name="walked"/> (no copy needed).</param>
internal delegate DbDamage WalkedEntriesParser(FileState file, ReadOnlySpan<byte> data, WalkedEntries walked, CollectionPass pass, out bool valuesRead);

/// <summary>
/// From a file's bytes to its state: entries not parsed before are walked and their keys resolved, and every entry's
/// value is copied (<see cref="ValueRefresh.CopyValues"/>). Keeps per kind the last file parsed, the model whose
/// keys the next file of that kind most likely repeats.
/// </summary>
internal sealed class EntryParsing(KeyTable keys, WalkedEntriesParser parseWalkedEntries)
{
    private const int ProbeEntries = 8;

    private readonly FileState?[] _lastParsed = new FileState?[4];

    /// <summary>The last file of <paramref name="kind"/> parsed (the model for the next one), or null.</summary>
    public FileState? LastParsed(DbFileKind kind) => _lastParsed[(int)kind];

    /// <summary>Makes <paramref name="file"/>, just parsed, the model of its kind.</summary>
    public void SetLastParsed(FileState file) => _lastParsed[(int)file.Name.Kind] = file;

    /// <summary>
    /// Parses new entries of <paramref name="data"/> (the file from offset 0) and copies every value. A file never
    /// parsed before takes its entries from <paramref name="walked"/> when given (walked over the same bytes).
    /// </summary>
    public FileProblem? Process(FileState file, ReadOnlySpan<byte> data, int used, CollectionPass pass, WalkedEntries? walked = null)
    {
        if (used == 0)
        {
            // prometheus_client reads a zero header as "no entries yet" (the writer sizes the file first).
            file.Reset();
            return null;
        }

        if (used < DbFormat.HeaderSize)
        {
            file.Reset();
            return Damaged(file, new DbDamage(DbDamageKind.InvalidUsed, 0, $"used is {used}, below the 8-byte header"));
        }

        if (data.Length < file.ParsedUpTo || used < file.ParsedUpTo)
        {
            // Shrunk or rewritten: entries only ever get appended by a live writer.
            file.Reset();
        }

        int countBefore = file.Count;
        bool valuesRead = false;
        DbDamage damage = walked is not null && file.Count == 0 && file.Layout is null && file.ParsedUpTo == DbFormat.HeaderSize
            ? parseWalkedEntries(file, data, walked, pass, out valuesRead)
            : ParseNewEntries(file, data, used, pass);
        if (used > data.Length)
        {
            damage = new DbDamage(DbDamageKind.UsedBeyondFile, file.ParsedUpTo, $"used is {used} but the file has only {data.Length} bytes");
        }

        // Values read with the walk belong to entries added just now: the file changed, and its families are marked.
        bool changed = file.Count != countBefore;
        changed |= !valuesRead && ValueRefresh.CopyValues(file, data);
        if (changed)
        {
            file.LastChanged = pass.Now;
            file.ChangedInCollection = pass.Collection;
        }

        return damage.IsDamaged ? Damaged(file, damage) : null;
    }

    private DbDamage ParseNewEntries(FileState file, ReadOnlySpan<byte> data, int used, CollectionPass pass)
    {
        int limit = Math.Min(used, data.Length);
        if (file.ParsedUpTo >= limit)
        {
            return DbDamage.None;
        }

        if (file.Layout is null)
        {
            // Probing a few entries decides the layout; the walk below checks every entry anyway.
            file.Layout = DbLayoutDetector.Detect(data, used, DbFormat.HeaderSize, ProbeEntries);
            if (file.Layout is null)
            {
                return new DbDamage(DbDamageKind.UnknownLayout, DbFormat.HeaderSize, "the first entry fits neither the 8-byte nor the 16-byte layout");
            }
        }

        // Size the entry arrays once and exactly: they live as long as the file, and oversized ones are
        // most of what a cold collection allocates (and copies through the GC generations).
        file.EnsureCapacity(file.Count + CountEntries(data, file.Layout.Value, file.ParsedUpTo, limit));
        var reader = new DbEntryReader(data, file.Layout.Value, used, file.ParsedUpTo);
        DbFileKind kind = file.Name.Kind;
        FileState? model = _lastParsed[(int)kind];

        while (reader.TryReadNext(out DbEntry entry))
        {
            if (!TryResolve(file, model, data.Slice(entry.KeyOffset, entry.KeyLength), out ParsedKey? parsed, out string? error))
            {
                // A key that does not decode means the bytes from here on cannot be trusted.
                return new DbDamage(DbDamageKind.InvalidKey, entry.Offset, error ?? "invalid key");
            }

            file.Add(parsed!.Target, entry.ValueOffset);
            file.ParsedUpTo = reader.Position;
            pass.EntriesParsed++;
        }

        _lastParsed[(int)kind] = file;

        return reader.Damage;
    }

    /// <summary>
    /// Resolves the key of the next entry of <paramref name="file"/>. Processes of one application write the same keys
    /// in the same order, so the entry at the same index of <paramref name="model"/> (the last file of this kind)
    /// usually has the same key: one vectorised compare instead of hashing the key for the table lookup.
    /// </summary>
    public bool TryResolve(FileState file, FileState? model, ReadOnlySpan<byte> key, out ParsedKey? parsed, out string? error)
    {
        if (model is not null && model != file && file.Count < model.Count)
        {
            ParsedKey guess = model.Targets[file.Count].Key;
            if (key.SequenceEqual(guess.KeyBytes))
            {
                parsed = guess;
                error = null;
                return true;
            }
        }

        return keys.TryResolve(key, file.Name.Kind, out parsed, out error);
    }

    /// <summary>Counts entries by their lengths alone (an upper bound when the file is damaged).</summary>
    private static int CountEntries(ReadOnlySpan<byte> data, ValueLayout layout, int position, int limit)
    {
        int count = 0;
        while (position <= limit - 4)
        {
            int keyLength = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
            if (keyLength <= 0 || keyLength > limit - position)
            {
                break;
            }

            position += DbFormat.EntrySize(keyLength, layout);
            count++;
        }

        return count;
    }

    /// <summary>The problem reported for <paramref name="file"/> with <paramref name="damage"/>.</summary>
    public static FileProblem Damaged(FileState file, DbDamage damage) =>
        new(file.FileName, FileProblemKind.Damaged, $"{damage.Kind}: {damage.Detail}", damage, file.Count);
}
