using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Storage;

/// <summary>
/// What a process does to the files it continues when it takes a slot or custom identity from a dead owner:
/// each file that holds removed series (its <see cref="DbRemovedKeys"/> sidecar lists keys present in it) is
/// written again without them, so a slot file's size follows the series in use rather than every series it
/// ever held. The dead owner's live-gauge files are deleted before this (<see cref="IdentityLease"/>).
/// </summary>
/// <remarks>
/// Crash-safe at every step: the new file is written under <c>{name}.chorus-rewrite</c> (not a <c>.db</c> name,
/// so no reader lists it), flushed to disk, renamed over the old one (readers see one file or the other, both
/// with the same values for every series still shown) and the directory is flushed. Before the new file is written,
/// the sidecar is made to list just the keys dropped, with the old file's inode (<see cref="RemovedKeyList"/>): a
/// Chorus reader that listed the directory before the rename may still read the old file, and reads the sidecar after
/// it, so deleting the sidecar could show a removed series for one scrape; a reader of the new file skips nothing, so
/// a series the new owner (or a Python worker that takes the slot later, through <c>chorus_slot.py</c>) makes again
/// shows. The sidecar stays until the new owner first saves its own removals, or the next handover, which finds it
/// naming another file and deletes it. A process killed before the rename leaves the old file, its sidecar naming
/// it, and a temporary file the next owner deletes; killed after it, a sidecar that names the replaced file, which
/// hides nothing. Nothing is rewritten while a compaction journal exists (its
/// groups name files by inode) or while any process holds the file for writing (a registry disposed in a live
/// process keeps its mappings).
/// </remarks>
internal static class SlotFileRewrite
{
    /// <summary>Suffix of the file being written.</summary>
    public const string TemporarySuffix = ".chorus-rewrite";

    /// <summary>Rewrites the continued files of <paramref name="identity"/>; problems go to <paramref name="notes"/>, never thrown.</summary>
    /// <param name="directory">The multiprocess directory.</param>
    /// <param name="identity">The identity just taken (its lock is held).</param>
    /// <param name="layout">The layout this process writes: files in another layout are left to <see cref="ExistingFileCheck"/>.</param>
    /// <param name="stepHook">Called after each step (tests stop the process there); null in production.</param>
    /// <param name="notes">Where files that could not be rewritten are reported.</param>
    public static void Run(string directory, string identity, ValueLayout layout, Action<SlotRewriteStep>? stepHook, List<string> notes)
    {
        bool compacting = File.Exists(Path.Combine(directory, CompactionJournal.FileName));
        foreach (DbFileName name in ContinuedFiles(identity))
        {
            string path = Path.Combine(directory, name.ToString());
            try
            {
                // Left by an owner killed before its rename; the file itself is intact.
                File.Delete(path + TemporarySuffix);
                if (!compacting)
                {
                    RewriteOne(directory, path, layout, stepHook, notes);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The file is continued as it is: bigger than needed, never wrong.
                ChorusEventSource.Log.StorageDegraded(path, e.Message);
                notes.Add($"cannot rewrite '{path}' without its removed series: {e.Message}");
            }
        }
    }

    private static IEnumerable<DbFileName> ContinuedFiles(string identity)
    {
        yield return new DbFileName(DbFileKind.Counter, null, identity);
        yield return new DbFileName(DbFileKind.Histogram, null, identity);
        yield return new DbFileName(DbFileKind.Summary, null, identity);
        foreach (GaugeMode mode in Enum.GetValues<GaugeMode>())
        {
            if (!mode.IsLive())
            {
                yield return new DbFileName(DbFileKind.Gauge, mode, identity);
            }
        }
    }

    private static void RewriteOne(string directory, string path, ValueLayout layout, Action<SlotRewriteStep>? stepHook, List<string> notes)
    {
        string sidecar = DbRemovedKeys.PathFor(path);
        RemovedKeyList listed = DbRemovedKeys.Read(path);
        if (listed.Count == 0)
        {
            return;
        }

        byte[] data;
        FileStatus status;
        try
        {
            data = RegularFile.ReadUsed(path, followSymlinks: false, out status);
        }
        catch (FileNotFoundException)
        {
            // The file was folded by a compaction, which leaves the sidecar behind.
            File.Delete(sidecar);
            return;
        }

        if (!listed.AppliesTo(status.Inode))
        {
            // Dropped from the file an earlier rewrite replaced: none is removed from this one, whose dead owner may have
            // made some of them again.
            PruneSidecar(path, [], stepHook);
            return;
        }

        DbFileScan scan = DbFileScan.Scan(data, status.Length);
        if (scan.Damage.IsDamaged || (scan.Layout is { } found && found != layout))
        {
            // Damaged or in the other layout: ExistingFileCheck moves it aside as it is.
            return;
        }

        (List<DbEntry> kept, List<byte[]> dropped) = Split(data, scan, listed);
        if (dropped.Count == 0)
        {
            // Keys an earlier owner's rewrite dropped: no file holds them any more, and no reader is still on that file.
            PruneSidecar(path, dropped, stepHook);
            return;
        }

        if (NativeFile.IsOpenForWritingElsewhere(path) != false)
        {
            notes.Add($"kept '{path}' with its removed series: a process still holds it for writing, or that cannot be checked here");
            return;
        }

        // Before the rename: a reader on this file still skips them; one on the new file skips nothing, so a series made
        // again there (by this owner, or by a Python worker taking the slot later) shows.
        DbRemovedKeys.Write(path, dropped, status.Inode);
        stepHook?.Invoke(SlotRewriteStep.SidecarMarked);
        Replace(directory, path, Compose(data, kept, layout), stepHook);
    }

    /// <summary>The entries of <paramref name="scan"/> that stay, and the keys of those <paramref name="listed"/> removes.</summary>
    private static (List<DbEntry> Kept, List<byte[]> Dropped) Split(byte[] data, DbFileScan scan, RemovedKeyList listed)
    {
        HashSet<byte[]>.AlternateLookup<ReadOnlySpan<byte>> removed =
            new HashSet<byte[]>(listed, ByteArrayComparer.Instance).GetAlternateLookup<ReadOnlySpan<byte>>();
        var kept = new List<DbEntry>(scan.Entries.Count);
        var dropped = new List<byte[]>();
        foreach (DbEntry entry in scan.Entries)
        {
            ReadOnlySpan<byte> key = data.AsSpan(entry.KeyOffset, entry.KeyLength);
            if (removed.Contains(key))
            {
                dropped.Add(key.ToArray());
            }
            else
            {
                kept.Add(entry);
            }
        }

        return (kept, dropped);
    }

    private static void PruneSidecar(string path, List<byte[]> keys, Action<SlotRewriteStep>? stepHook)
    {
        DbRemovedKeys.Write(path, keys);
        stepHook?.Invoke(SlotRewriteStep.SidecarPruned);
    }

    private static byte[] Compose(byte[] data, List<DbEntry> kept, ValueLayout layout)
    {
        int used = DbFormat.HeaderSize;
        foreach (DbEntry entry in kept)
        {
            used += DbFormat.EntrySize(entry.KeyLength, layout);
        }

        byte[] content = new byte[used];
        DbFormat.WriteUsed(content, used);
        int position = DbFormat.HeaderSize;
        foreach (DbEntry entry in kept)
        {
            position += DbFormat.WriteEntry(
                content.AsSpan(position),
                data.AsSpan(entry.KeyOffset, entry.KeyLength),
                layout,
                DbFileScan.ReadValue(data, entry),
                DbFileScan.ReadTimestamp(data, entry, layout));
        }

        return content;
    }

    private static void Replace(string directory, string path, byte[] content, Action<SlotRewriteStep>? stepHook)
    {
        // The size a writer would have grown to for these entries: files keep doubling from 64 KiB.
        long capacity = DbFormat.InitialCapacity;
        while (capacity < content.Length)
        {
            capacity *= 2;
        }

        string temporary = path + TemporarySuffix;
        using (FileStream stream = RegularFile.CreateNew(temporary, FileAccess.ReadWrite, FileShare.Read))
        {
            stream.Write(content);
            stream.SetLength(capacity);
            stream.Flush(flushToDisk: true);
        }

        stepHook?.Invoke(SlotRewriteStep.TemporaryWritten);
        if (!NativeFile.TryRename(temporary, path))
        {
            throw new IOException($"'{temporary}' vanished before it could replace '{path}'");
        }

        NativeFile.SyncDirectory(directory);
        stepHook?.Invoke(SlotRewriteStep.Renamed);
    }
}
