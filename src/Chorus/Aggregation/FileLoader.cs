using System.Buffers;
using System.Buffers.Binary;
using Chorus.Files;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Reads one file with positional reads into a pooled buffer (first page, then the rest up to <c>used</c>),
/// parses only entries it has not parsed before and copies every entry's value into the file's state.
/// Never throws for bad content or I/O trouble: it reports a <see cref="FileProblem"/> instead.
/// </summary>
internal sealed class FileLoader(KeyTable keys) : IDisposable
{
    private const int FirstRead = 4096;
    private const int ProbeEntries = 8;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 16);

    public long BytesRead { get; set; }

    public int EntriesParsed { get; set; }

    /// <summary>Refreshes <paramref name="file"/>. Returns the problem, or null when it was read cleanly.</summary>
    public FileProblem? Load(FileState file)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            file.Reset();
            return new FileProblem(file.FileName, FileProblemKind.Vanished, "the file disappeared between listing and reading", DbDamage.None, 0);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            file.Reset();
            return new FileProblem(file.FileName, FileProblemKind.Unreadable, e is UnauthorizedAccessException ? "permission denied" : e.Message, DbDamage.None, 0);
        }

        using (handle)
        {
            try
            {
                return Load(file, handle);
            }
            catch (IOException e)
            {
                file.Reset();
                return new FileProblem(file.FileName, FileProblemKind.Unreadable, e.Message, DbDamage.None, 0);
            }
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private FileProblem? Load(FileState file, SafeFileHandle handle)
    {
        FileIdentity identity = FileIdentity.Of(handle, out long length);
        if (identity != file.Identity)
        {
            // Another file under the same name (replaced): nothing parsed before applies.
            file.Reset();
            file.Identity = identity;
        }

        // A known file is read in one call: up to its last used length, which covers it unless it grew.
        int read = ReadFrom(handle, 0, Math.Max(FirstRead, file.ParsedUpTo));
        if (read < DbFormat.HeaderSize)
        {
            file.Reset();
            return Damaged(file, new DbDamage(DbDamageKind.ShorterThanHeader, 0, $"file is {read} bytes, shorter than the 8-byte header"));
        }

        int used = DbFormat.ReadUsed(_buffer);
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

        if (used > read)
        {
            if (length >= 0 && used > length)
            {
                // The file may have grown since it was measured: measure again before calling it damaged.
                FileIdentity.Of(handle, out length);
            }

            // Read at most what the file holds, so a lying header cannot make the buffer huge.
            int limit = length >= 0 ? (int)Math.Min(used, length) : used;
            read += ReadFrom(handle, read, limit - read);
        }

        BytesRead += read;
        if (read < file.ParsedUpTo || used < file.ParsedUpTo)
        {
            // Shrunk or rewritten: entries only ever get appended by a live writer.
            file.Reset();
        }

        ReadOnlySpan<byte> data = _buffer.AsSpan(0, read);
        DbDamage damage = ParseNewEntries(file, data, used);
        if (used > read)
        {
            damage = new DbDamage(DbDamageKind.UsedBeyondFile, file.ParsedUpTo, $"used is {used} but the file has only {read} bytes");
        }

        bool timestamps = file.Layout == ValueLayout.ValueAndTimestamp16;
        int[] offsets = file.ValueOffsets;
        double[] values = file.Values;
        double[] stamps = file.Timestamps;
        for (int i = 0; i < file.Count; i++)
        {
            int offset = offsets[i];
            values[i] = BinaryPrimitives.ReadDoubleLittleEndian(data[offset..]);
            stamps[i] = timestamps ? BinaryPrimitives.ReadDoubleLittleEndian(data[(offset + 8)..]) : 0.0;
        }

        return damage.IsDamaged ? Damaged(file, damage) : null;
    }

    private DbDamage ParseNewEntries(FileState file, ReadOnlySpan<byte> data, int used)
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

        // Entries are at least 24 bytes; typical keys make them 64 to 128: size the arrays once for the common case.
        file.EnsureCapacity(file.Count + ((limit - file.ParsedUpTo) / 48) + 1);
        var reader = new DbEntryReader(data, file.Layout.Value, used, file.ParsedUpTo);
        DbFileKind kind = file.Name.Kind;
        string? pid = kind == DbFileKind.Gauge ? file.Name.Identity : null;
        while (reader.TryReadNext(out DbEntry entry))
        {
            ReadOnlySpan<byte> key = data.Slice(entry.KeyOffset, entry.KeyLength);
            if (!keys.TryResolve(key, kind, out ParsedKey? parsed, out string? error))
            {
                // A key that does not decode means the bytes from here on cannot be trusted.
                return new DbDamage(DbDamageKind.InvalidKey, entry.Offset, error ?? "invalid key");
            }

            file.Add(parsed!.TargetFor(pid), entry.ValueOffset);
            file.ParsedUpTo = reader.Position;
            EntriesParsed++;
        }

        return reader.Damage;
    }

    private int ReadFrom(SafeFileHandle handle, int offset, int count)
    {
        if (count <= 0)
        {
            return 0;
        }

        if (_buffer.Length < offset + count)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(offset + count);
            _buffer.AsSpan(0, offset).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        int total = 0;
        while (total < count)
        {
            int n = RandomAccess.Read(handle, _buffer.AsSpan(offset + total, count - total), offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static FileProblem Damaged(FileState file, DbDamage damage) =>
        new(file.FileName, FileProblemKind.Damaged, $"{damage.Kind}: {damage.Detail}", damage, file.Count);
}
