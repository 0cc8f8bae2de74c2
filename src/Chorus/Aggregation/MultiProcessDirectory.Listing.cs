using System.IO.Enumeration;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>The directory listing of <see cref="MultiProcessDirectory"/>, and when it can be skipped.</summary>
public sealed partial class MultiProcessDirectory
{
    /// <summary>Lists <c>*.db</c> files, reusing the state of known names without allocating for them.</summary>
    private string? List(int generation)
    {
        long now = Environment.TickCount64;
        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        bool stamped = DirectoryStamp.TryRead(Directory, out DirectoryStamp stamp);
        _loader.NamesUnchanged = stamped && _listingTrusted && stamp == _listedStamp && now - _listedAt < ListingReuseLimitMilliseconds;
        if (_loader.NamesUnchanged)
        {
            foreach (FileState state in _ordered)
            {
                state.Listed = generation;
            }

            return null;
        }

        _listedStamp = stamp;
        _listedAt = now;
        _listingTrusted = stamped && stamp.SettledBefore(startedAt, _options.ListingSettleTime);
        bool changed = false;
        try
        {
            var enumerable = new FileSystemEnumerable<FileState>(
                Directory,
                (ref FileSystemEntry entry) =>
                {
                    if (!_filesBySpan.TryGetValue(entry.FileName, out FileState? state))
                    {
                        string name = entry.FileName.ToString();
                        state = new FileState(name, Path.Join(Directory, name));
                        _files.Add(name, state);
                        changed = true;
                    }

                    return state;
                },
                // The default attributes to leave out include Hidden (a leading '.'): Python's glob('*.db') never
                // matches those names and neither does the compactor's listing, so all three read the same files.
                new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false })
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) =>
                {
                    if (entry.IsDirectory)
                    {
                        if (entry.FileName.EndsWith(".db", StringComparison.Ordinal))
                        {
                            // Not readable as a file, but worth saying why its data is missing.
                            _directoriesNamedDb.Add(entry.FileName.ToString());
                        }

                        return false;
                    }

                    if (entry.FileName.EndsWith(DbRemovedKeys.Suffix, StringComparison.Ordinal))
                    {
                        // Rare (only after Remove/Clear by a Chorus writer): remember which .db it belongs to.
                        _removalSidecars.Add(entry.FileName[..^DbRemovedKeys.Suffix.Length].ToString());
                        return false;
                    }

                    return entry.FileName.EndsWith(".db", StringComparison.Ordinal) &&
                        (_options.FileFilter is null || _options.FileFilter(entry.FileName.ToString()));
                },
            };
            _removalSidecars.Clear();
            _directoriesNamedDb.Clear();
            foreach (FileState state in enumerable)
            {
                state.Listed = generation;
            }

            foreach (FileState state in _files.Values)
            {
                state.HasRemovals = _removalSidecars.Count > 0 && _removalSidecars.Contains(state.FileName);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _listingTrusted = false;

            // The directory itself is gone or unreadable: report it and serve nothing rather than stale data.
            foreach (FileState state in _ordered)
            {
                state.Listed = 0;
            }

            RemoveUnlisted(generation);
            return $"cannot list '{Directory}': {e.Message}";
        }

        if (RemoveUnlisted(generation) || changed)
        {
            _ordered.Clear();
            _ordered.AddRange(_files.Values);
            _ordered.Sort(static (a, b) => string.CompareOrdinal(a.FileName, b.FileName));
        }

        return null;
    }

    private bool RemoveUnlisted(int generation)
    {
        List<string>? gone = null;
        foreach (FileState state in _files.Values)
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
            FileState state = _files[name];
            state.MarkFamiliesChanged(generation);
            _loader.Release(state);
            _files.Remove(name);
        }

        _filesRemoved = true;

        _ordered.RemoveAll(s => s.Listed != generation);
        return true;
    }
}
