using System.Diagnostics;
using System.IO.Enumeration;
using System.Text;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// The listing stage of <see cref="MultiProcessDirectory"/>: the directory's <c>*.db</c> names into the file map and file
/// order it shares with the other stages (ranks numbered), from a full listing or from the names the directory watch saw
/// change, and when the listing can be skipped.
/// </summary>
/// <param name="directoryPath">The directory listed.</param>
/// <param name="options">The directory's options (file filter, listing settle time, framework listing).</param>
/// <param name="files">Every listed file by name (the coordinator's).</param>
/// <param name="ordered">The listed files in file order (the coordinator's).</param>
/// <param name="live">The live files: files added one at a time join them at their rank; a new file order makes them stale.</param>
/// <param name="frozen">The frozen files (thawed when their name changes).</param>
/// <param name="loader">Lets go of the kept files whose names are gone.</param>
internal sealed class DirectoryListing(string directoryPath, MultiProcessDirectoryOptions options, Dictionary<string, FileState> files, List<FileState> ordered, LiveFiles live, FrozenFiles frozen, FileLoader loader)
{
    // A listing is redone at least this often whatever the stamp or the watch says (a clock stepped back could hide a
    // change); a server makes it after a response when the next scrape would have to (CheckNames).
    private readonly long _reuseLimitMilliseconds = (long)options.ListingReuseLimit.TotalMilliseconds;

    private readonly Dictionary<string, FileState>.AlternateLookup<ReadOnlySpan<char>> _filesBySpan = files.GetAlternateLookup<ReadOnlySpan<char>>();
    private readonly ListedNamesCheck _check = new(directoryPath, options, files.GetAlternateLookup<ReadOnlySpan<char>>());
    private readonly HashSet<string> _removalSidecars = new(StringComparer.Ordinal);
    private readonly FileRanks _ranks = new(ordered);

    // The directory as last listed: while its stamp stays the same (and the listing was made long enough after its
    // last change), its names are the same and the listing is skipped.
    private DirectoryStamp _listedStamp;
    private bool _listingTrusted;
    private bool _listingChanged;

    // The directory watch's epoch in which the names were last known to be as listed (-1: none): while it runs on in that
    // epoch, the names it reports changed are all that can differ from the listing.
    private int _namesWatchedEpoch = -1;
    private long _listedAt;

    /// <summary>Names that are directories, not <c>.db</c> files (reported as problems).</summary>
    public List<string> DirectoriesNamedDb { get; } = [];


    /// <summary>Changes whenever file ranks (<see cref="FileState.Rank"/>) are numbered again.</summary>
    public int RankNumbering => _ranks.RankNumbering;

    /// <summary>Set when files went away (the coordinator clears it when it sweeps their series).</summary>
    public bool FilesRemoved { get; set; }

    /// <summary>The next collection lists every name (a file vanished between listing and reading).</summary>
    public void Distrust() => _listingTrusted = false;

    /// <summary>Lists <c>*.db</c> files, reusing the state of known names without allocating for them.</summary>
    public string? List(CollectionPass pass)
    {
        int generation = pass.Generation;
        long now = Environment.TickCount64;
        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        bool stamped = DirectoryStamp.TryRead(directoryPath, out DirectoryStamp stamp);
        if (stamped)
        {
            frozen.CheckDirectory(stamp.Device, stamp.Inode);
        }

        if (stamped && now - _listedAt < _reuseLimitMilliseconds && TryListWatchedNames(pass))
        {
            return null;
        }

        int? watchEpoch = frozen.WatchEpoch;

        // Listed (the generation of the last listing that saw a file) is only compared right after a listing.
        pass.NamesUnchanged = stamped && _listingTrusted && stamp == _listedStamp && now - _listedAt < _reuseLimitMilliseconds;
        if (pass.NamesUnchanged)
        {
            pass.ChangeMapsKnown = true;

            // The names are as listed now, so from now on the watch's events say what changes.
            _namesWatchedEpoch = watchEpoch ?? -1;
            return null;
        }

        frozen.ClearNamesChanged();
        _namesWatchedEpoch = watchEpoch ?? -1;
        _listedStamp = stamp;
        _listedAt = now;
        _listingTrusted = stamped && stamp.SettledBefore(startedAt, options.ListingSettleTime);
        _listingChanged = false;
        long started = Stopwatch.GetTimestamp();
        try
        {
            ListNames(generation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Unlistable(generation, e);
        }

        if (RemoveUnlisted(generation) || _listingChanged)
        {
            live.Stale = true;
            ordered.Clear();
            ordered.AddRange(files.Values);
            ordered.Sort(static (a, b) => string.CompareOrdinal(a.FileName, b.FileName));
            _ranks.NumberRanks();
        }

        pass.Times.Add(CollectionStage.ListEveryName, started);

        return null;
    }

    /// <summary>
    /// Whether the collection expected <paramref name="collectionGap"/> milliseconds after <paramref name="now"/> (with a
    /// margin for a late one) would have to list every name because the last listing is about to reach the reuse limit.
    /// </summary>
    public bool FullListingDueBy(long now, long collectionGap) =>
        _listedAt != 0 && !options.FrameworkListing && now - _listedAt + (collectionGap * 3 / 2) >= _reuseLimitMilliseconds;

    /// <summary>
    /// Lists every name, as the next collection would have to, and when the directory holds exactly the names listed
    /// (same inodes, removal sidecars and directories), counts that as a full listing made now. Otherwise it changes
    /// nothing and the next collection lists the names itself, so a difference is never taken in outside a collection.
    /// True when the names were found as listed.
    /// </summary>
    public bool CheckNames(CollectionStageTimes times)
    {
        long started = Stopwatch.GetTimestamp();
        long now = Environment.TickCount64;
        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        int? watchEpoch = frozen.WatchEpoch;
        if (!DirectoryStamp.TryRead(directoryPath, out DirectoryStamp stamp)
            || stamp.Device != _listedStamp.Device || stamp.Inode != _listedStamp.Inode)
        {
            return false;
        }

        try
        {
            using DirectoryEntries? entries = DirectoryEntries.TryOpen(directoryPath);
            if (entries is null || !_check.Matches(entries, _removalSidecars, DirectoriesNamedDb))
            {
                return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // As a full listing leaves them. The names the watch saw change meanwhile are looked up again by the next
        // collection, which finds them as listed or takes their change in.
        _listedStamp = stamp;
        _listedAt = now;
        _listingTrusted = stamp.SettledBefore(startedAt, options.ListingSettleTime);
        _namesWatchedEpoch = watchEpoch ?? -1;
        times.Add(CollectionStage.CheckNames, started);
        return true;
    }

    /// <summary>Reads every name of the directory into the listing.</summary>
    private void ListNames(int generation)
    {
        _removalSidecars.Clear();
        DirectoriesNamedDb.Clear();
        using (DirectoryEntries? entries = options.FrameworkListing ? null : DirectoryEntries.TryOpen(directoryPath))
        {
            if (entries is not null)
            {
                ListEntries(entries, generation);
            }
            else
            {
                ListWithFramework(generation);
            }
        }

        foreach (FileState state in files.Values)
        {
            state.HasRemovals = _removalSidecars.Count > 0 && _removalSidecars.Contains(state.FileName);
        }
    }

    /// <summary>The directory itself is gone or unreadable: reports it and serves nothing rather than stale data.</summary>
    private string Unlistable(int generation, Exception e)
    {
        _listingTrusted = false;
        _namesWatchedEpoch = -1;
        frozen.ThawAll();
        foreach (FileState state in ordered)
        {
            state.Listed = 0;
        }

        RemoveUnlisted(generation);
        return $"cannot list '{directoryPath}': {e.Message}";
    }

    /// <summary>
    /// While the directory watch has run since the names were last known, takes the names it saw change into the listing
    /// instead of listing every name; false when the whole listing is needed.
    /// </summary>
    private bool TryListWatchedNames(CollectionPass pass)
    {
        int generation = pass.Generation;
        if (frozen.WatchEpoch != _namesWatchedEpoch)
        {
            return false;
        }

        // What happened since the collection began (a pass repeated because a compaction ran) counts too.
        long at = Stopwatch.GetTimestamp();
        frozen.ReadEvents();
        at = pass.Times.Add(CollectionStage.ListWatchEvents, at);
        if (frozen.WatchEpoch != _namesWatchedEpoch || frozen.NamesChanged is not { } names || !WatchedNames.TryLookUp(directoryPath, options, DirectoriesNamedDb, names, out List<(string Name, ulong Inode)>? present, out List<string>? gone))
        {
            return false;
        }

        at = pass.Times.Add(CollectionStage.ListLookUp, at);
        ListChanged(present, gone, generation, pass.Times);
        pass.Times.Add(CollectionStage.ListChanged, at);
        NoteChangeMapsCreated(pass, names);
        frozen.ClearNamesChanged();
        pass.NamesUnchanged = present is null && gone is null;
        return true;
    }

    /// <summary>
    /// Notes which change map sidecars the watch saw among <paramref name="names"/> (all it saw), so kept files without
    /// one look for it only when it appears (<see cref="CollectionPass.ChangeMapLookupFor"/>).
    /// </summary>
    private static void NoteChangeMapsCreated(CollectionPass pass, IReadOnlySet<string> names)
    {
        pass.ChangeMapsKnown = true;
        foreach (string name in names)
        {
            if (name.EndsWith(ChangeMapFormat.Suffix, StringComparison.Ordinal))
            {
                (pass.ChangeMapsCreated ??= []).Add(name[..^ChangeMapFormat.Suffix.Length]);
            }
        }
    }

    /// <summary>Adds the files now present (at their place in name order, or notes their inode) and forgets the ones gone.</summary>
    private void ListChanged(List<(string Name, ulong Inode)>? present, List<string>? gone, int generation, CollectionStageTimes times)
    {
        List<FileState>? added = null;
        foreach ((string name, ulong inode) in present ?? [])
        {
            if (!files.TryGetValue(name, out FileState? state))
            {
                state = new FileState(name, Path.Join(directoryPath, name)) { HasRemovals = _removalSidecars.Contains(name) };
                files.Add(name, state);
                (added ??= []).Add(state);
                live.Added.Add(state);
            }

            state.Listed = generation;
            state.ListedInode = inode;
            state.ListedRegular = true;
            if (state.Frozen && inode != state.Identity.Inode)
            {
                frozen.Thaw(state);
            }
        }

        long at = Stopwatch.GetTimestamp();
        bool renumber = added is not null && !_ranks.TryInsert(added);
        at = times.Add(CollectionStage.ListInsert, at);
        foreach (string name in gone ?? [])
        {
            if (files.TryGetValue(name, out FileState? state))
            {
                Forget(state, generation);

                // The others keep their ranks (gaps are allowed).
                ordered.Remove(state);
            }
        }

        at = times.Add(CollectionStage.ListGone, at);
        if (renumber)
        {
            _ranks.NumberRanks();
        }
    }


    private void ListEntries(DirectoryEntries entries, int generation)
    {
        Span<char> name = stackalloc char[1024];
        while (entries.MoveNext(out ReadOnlySpan<byte> bytes, out ulong inode, out byte type))
        {
            // Names with a leading '.' (".", "..", hidden files) are left out, as the framework's enumeration does.
            if (bytes.IsEmpty || bytes[0] == (byte)'.')
            {
                continue;
            }

            int length = Encoding.UTF8.GetChars(bytes, name);
            ReadOnlySpan<char> fileName = name[..length];
            Consider(fileName, DirectoryEntries.IsDirectory(directoryPath, fileName, type), inode, type == DirectoryEntries.TypeRegular, generation);
        }
    }

    private void ListWithFramework(int generation)
    {
        var enumerable = new FileSystemEnumerable<bool>(
            directoryPath,
            (ref FileSystemEntry entry) =>
            {
                Consider(entry.FileName, entry.IsDirectory, 0, false, generation);
                return true;
            },
            // The default attributes to leave out include Hidden (a leading '.'): Python's glob('*.db') never
            // matches those names and neither does the compactor's listing, so all three read the same files.
            new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false });
        foreach (bool _ in enumerable)
        {
        }
    }

    /// <summary>Takes one directory entry into the listing (<paramref name="inode"/> 0 when unknown; <paramref name="regular"/> when the listing says so).</summary>
    private void Consider(ReadOnlySpan<char> name, bool directory, ulong inode, bool regular, int generation)
    {
        if (directory)
        {
            if (name.EndsWith(".db", StringComparison.Ordinal))
            {
                // Not readable as a file, but worth saying why its data is missing.
                DirectoriesNamedDb.Add(name.ToString());
            }

            return;
        }

        if (name.EndsWith(DbRemovedKeys.Suffix, StringComparison.Ordinal))
        {
            // Rare (only after Remove/Clear by a Chorus writer): remember which .db it belongs to.
            _removalSidecars.Add(name[..^DbRemovedKeys.Suffix.Length].ToString());
            return;
        }

        if (!name.EndsWith(".db", StringComparison.Ordinal) || (options.FileFilter is not null && !options.FileFilter(name.ToString())))
        {
            return;
        }

        if (!_filesBySpan.TryGetValue(name, out FileState? state))
        {
            string fileName = name.ToString();
            state = new FileState(fileName, Path.Join(directoryPath, fileName));
            files.Add(fileName, state);
            _listingChanged = true;
        }

        state.Listed = generation;
        state.ListedInode = inode;
        state.ListedRegular = regular;
        if (state.Frozen && inode != 0 && inode != state.Identity.Inode)
        {
            // Another file under the name (the watch reports that too; this costs nothing).
            frozen.Thaw(state);
        }
    }

    private bool RemoveUnlisted(int generation)
    {
        List<string>? gone = null;
        foreach (FileState state in files.Values)
        {
            if (state.Listed != generation)
            {
                (gone ??= []).Add(state.FileName);
            }
        }

        if (gone is null)
        {
            return false;
        }

        foreach (string name in gone)
        {
            Forget(files[name], generation);
        }

        ordered.RemoveAll(s => s.Listed != generation);
        return true;
    }

    /// <summary>Drops a file whose name is gone (the caller takes it out of file order).</summary>
    private void Forget(FileState state, int generation)
    {
        frozen.Thaw(state);
        state.MarkFamiliesChanged(generation);
        loader.Release(state);
        files.Remove(state.FileName);
        FilesRemoved = true;
        live.Stale = true;
    }
}
