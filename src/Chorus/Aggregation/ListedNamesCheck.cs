using System.Text;
using Chorus.Files;

namespace Chorus.Aggregation;

/// <summary>
/// Whether a directory's entries are exactly what a <see cref="DirectoryListing"/> holds: the same <c>*.db</c> names with
/// the same inodes, the same removal sidecars and the same directories named <c>*.db</c>. It reads and compares only (no
/// allocation for a name it knows), so a listing that is due can be made after a response, and count as made.
/// </summary>
/// <param name="directoryPath">The directory listed.</param>
/// <param name="options">The directory's options (the file filter).</param>
/// <param name="files">Every listed file by name.</param>
internal sealed class ListedNamesCheck(string directoryPath, MultiProcessDirectoryOptions options, Dictionary<string, FileState>.AlternateLookup<ReadOnlySpan<char>> files)
{
    /// <summary>
    /// True when <paramref name="entries"/> hold exactly the files listed (by name and inode), the removal sidecars of
    /// <paramref name="removalSidecars"/>'s files and the directories of <paramref name="directoriesNamedDb"/>.
    /// </summary>
    public bool Matches(DirectoryEntries entries, HashSet<string> removalSidecars, IReadOnlyList<string> directoriesNamedDb)
    {
        Span<char> name = stackalloc char[1024];
        HashSet<string>.AlternateLookup<ReadOnlySpan<char>> sidecarOwners = removalSidecars.GetAlternateLookup<ReadOnlySpan<char>>();
        int filesSeen = 0;
        int sidecarsSeen = 0;
        int directoriesSeen = 0;
        while (entries.MoveNext(out ReadOnlySpan<byte> bytes, out ulong inode, out byte type))
        {
            // The names the listing leaves out, it leaves out here too (a leading '.': ".", "..", hidden files).
            if (bytes.IsEmpty || bytes[0] == (byte)'.')
            {
                continue;
            }

            int length = Encoding.UTF8.GetChars(bytes, name);
            ReadOnlySpan<char> fileName = name[..length];
            if (DirectoryEntries.IsDirectory(directoryPath, fileName, type))
            {
                if (fileName.EndsWith(".db", StringComparison.Ordinal))
                {
                    if (!Contains(directoriesNamedDb, fileName))
                    {
                        return false;
                    }

                    directoriesSeen++;
                }
            }
            else if (fileName.EndsWith(DbRemovedKeys.Suffix, StringComparison.Ordinal))
            {
                if (!sidecarOwners.Contains(fileName[..^DbRemovedKeys.Suffix.Length]))
                {
                    return false;
                }

                sidecarsSeen++;
            }
            else if (fileName.EndsWith(".db", StringComparison.Ordinal) && (options.FileFilter is null || options.FileFilter(fileName.ToString())))
            {
                // Another file under a known name has another inode (the one it replaced is held open, or was listed gone).
                if (!files.TryGetValue(fileName, out FileState? state) || state.ListedInode == 0 || state.ListedInode != inode)
                {
                    return false;
                }

                filesSeen++;
            }
        }

        return filesSeen == files.Dictionary.Count && sidecarsSeen == removalSidecars.Count && directoriesSeen == directoriesNamedDb.Count;
    }

    private static bool Contains(IReadOnlyList<string> names, ReadOnlySpan<char> name)
    {
        foreach (string listed in names)
        {
            if (name.SequenceEqual(listed))
            {
                return true;
            }
        }

        return false;
    }
}
