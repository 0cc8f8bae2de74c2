using Chorus.Files;
using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Aggregation;

/// <summary>
/// Brings a file's bytes to <see cref="EntryParsing"/>: from its kept mapping, or read from a handle with positional reads
/// into a pooled buffer (as far as the file was used before, then the rest up to <c>used</c>).
/// <c>beforeDamagedFileReread</c> runs with the file's name before a damaged file is read again, header first (tests: the writer finishes a torn
/// entry meanwhile).
/// </summary>
internal sealed class FileBytes(EntryParsing entries, Action<string>? beforeDamagedFileReread = null) : IDisposable
{
    /// <summary>The least asked of a read: one page.</summary>
    public const int MinimumRead = 4096;

    private const int SmallBuffer = 1 << 16;

    // Without a better guess: covers header and all entries of a typical file (prometheus_client's files
    // grow in 1 MiB steps but usually use a few KiB), so a cold file costs one read instead of two.
    private const int FirstRead = 16384;
    private const int HintSlack = 1024;

    private byte[] _buffer = ReadBuffers.Rent(SmallBuffer);

    // Whether a file was read into the buffer since the last EndCollection.
    private bool _read;

    /// <summary>Loads <paramref name="file"/> from its mapping; false when the mapping no longer covers it (read it by path then).</summary>
    public bool TryLoadKept(FileState file, KeptFile kept, CollectionPass pass, out FileProblem? problem)
    {
        problem = null;
        if (!kept.IsCurrent(file.Identity, out long length))
        {
            // Deleted, replaced by a rename, or shrunk: read it by path again.
            return false;
        }

        int used = kept.ReadUsed();
        if (used > kept.MappedLength && (used > length || !kept.TryRemap(used, length)))
        {
            return false;
        }

        problem = entries.Process(file, kept.Bytes(Math.Max(used, DbFormat.HeaderSize)), used, pass);
        return problem is null;
    }

    /// <summary>
    /// Loads <paramref name="file"/> from <paramref name="handle"/>, measuring its <paramref name="length"/> (-1: unknown).
    /// With <paramref name="headerFirst"/> the header is read on its own before the entries (see <see cref="FileLoader"/>:
    /// what a torn read looks like).
    /// </summary>
    public FileProblem? Load(FileState file, SafeFileHandle handle, CollectionPass pass, out long length, bool headerFirst = false)
    {
        FileIdentity identity = FileIdentity.Of(handle, out length, out _, out bool regular);
        if (!regular)
        {
            file.Reset();
            return new FileProblem(file.FileName, FileProblemKind.Unreadable, "not a regular file (a FIFO, socket or device)", DbDamage.None, 0);
        }

        if (identity != file.Identity)
        {
            // Another file under the same name (replaced): nothing parsed before applies.
            file.Reset();
            file.Identity = identity;
        }

        _read = true;
        if (headerFirst)
        {
            beforeDamagedFileReread?.Invoke(file.FileName);
        }

        // A known file is read in one call: up to its last used length, which covers it unless it grew.
        // A new file is read as far as the last file of its kind used: processes of one application write the
        // same keys, so that one read usually covers header and body (histogram files use ~40 KiB).
        // The kernel copies all that is asked for (files are sized in 1 MiB steps), so ask for little more than that.
        int read = PositionalRead.ReadInto(handle, ref _buffer, 0, headerFirst ? DbFormat.HeaderSize
            : file.ParsedUpTo > DbFormat.HeaderSize ? Math.Max(MinimumRead, file.ParsedUpTo)
            : FirstReadSize(entries.LastParsed(file.Name.Kind)?.ParsedUpTo ?? 0));
        if (read < DbFormat.HeaderSize)
        {
            file.Reset();
            return EntryParsing.Damaged(file, new DbDamage(DbDamageKind.ShorterThanHeader, 0, $"file is {read} bytes, shorter than the 8-byte header"));
        }

        int used = DbFormat.ReadUsed(_buffer);
        if (used > read)
        {
            if (length >= 0 && used > length)
            {
                // The file may have grown since it was measured: measure again before calling it damaged.
                FileIdentity.Of(handle, out length);
            }

            // Read at most what the file holds, so a lying header cannot make the buffer huge.
            int limit = length >= 0 ? (int)Math.Min(used, length) : used;
            read += PositionalRead.ReadInto(handle, ref _buffer, read, limit - read);
        }

        pass.CountRead(read);
        return entries.Process(file, _buffer.AsSpan(0, read), used, pass);
    }

    /// <summary>How much to read first of a file never read before, given what the last file of its kind used (0: none yet).</summary>
    public static int FirstReadSize(int usedBefore) =>
        Math.Max(MinimumRead, usedBefore > DbFormat.HeaderSize ? usedBefore + HintSlack : FirstRead);

    /// <summary>
    /// Lets go of a large buffer (<see cref="ReadBuffers.IsLarge"/>) when no file was read into it since the last call: files
    /// are kept mapped after their first reads, so a buffer grown for those reads (5 MiB on a GitLab-sized host) is
    /// otherwise kept for nothing.
    /// </summary>
    public void EndCollection()
    {
        if (!_read && ReadBuffers.IsLarge(_buffer))
        {
            _buffer = ReadBuffers.Rent(SmallBuffer);
        }

        _read = false;
    }

    /// <summary>The length of the buffer files are read into (for tests).</summary>
    internal int BufferLength => _buffer.Length;

    public void Dispose()
    {
        ReadBuffers.Return(_buffer);
        _buffer = [];
    }
}
