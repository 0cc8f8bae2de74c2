namespace Chorus.Aggregation;

/// <summary>
/// The files one collection's full merge of a family folded, in the order it folded them: the file list that the listed
/// contributions of the family's slots (<see cref="SlotContributions"/>) share for as long as theirs is the same.
/// </summary>
/// <remarks>
/// On a host whose writers share one layout every live file holds every key, so each listed slot's contributions are the
/// same files: 128 file references per slot, copied for each of the GitLab-sized host's 4,408 listed sums, were 4.6 MB
/// of its heap. Files are only ever appended (a merge that is redone in the same collection appends them again), so the
/// first files of a list stay what a slot that shares them saw; each collection's full merge starts a new list
/// (<see cref="FamilyState.ListedFilesFor"/>). Written by the one thread that merges the family.
/// </remarks>
internal sealed class ListedFiles(int generation)
{
    private FileState[] _files = new FileState[8];

    /// <summary>The collection whose full merge folded these files.</summary>
    public int Generation { get; } = generation;

    /// <summary>How many files are listed.</summary>
    public int Count { get; private set; }

    /// <summary>The file listed at <paramref name="index"/>.</summary>
    public FileState this[int index] => _files[index];

    /// <summary>Lists <paramref name="file"/> after the others, unless it is the last one listed already (the file being folded).</summary>
    public ListedFiles With(FileState file)
    {
        if (Count == 0 || _files[Count - 1] != file)
        {
            if (Count == _files.Length)
            {
                Array.Resize(ref _files, Count * 2);
            }

            _files[Count++] = file;
        }

        return this;
    }

    /// <summary>The first <paramref name="count"/> files listed.</summary>
    public ReadOnlySpan<FileState> First(int count) => _files.AsSpan(0, count);
}
