namespace Chorus.Exposition;

/// <summary>
/// How a family's samples differ from the ones it had before its last merge, when only some values changed: the
/// multiprocess merge says so, and a kept rendering of the samples before (<see cref="From"/>) can then be patched line
/// by line instead of formatted again.
/// </summary>
/// <remarks>
/// Valid only while <see cref="In"/> is the merge the family's samples are from: a merge that changed more than values
/// (a sample added, gone or moved, a name or label set) leaves <see cref="In"/> behind, and the family is formatted anew.
/// </remarks>
internal sealed class SampleEdits
{
    /// <summary>The merge whose samples these edits lead to (the family's current samples).</summary>
    public int In { get; private set; }

    /// <summary>The merge whose samples the edits start from: same count, names and labels, in the same order.</summary>
    public int From { get; private set; }

    /// <summary>The indices (ascending, no repeats) of the samples whose value differs from <see cref="From"/>'s.</summary>
    public List<int> Changed { get; } = [];

    /// <summary>Starts the edits from merge <paramref name="from"/> to merge <paramref name="into"/>, with no value changed yet.</summary>
    public void Start(int from, int into)
    {
        From = from;
        In = into;
        Changed.Clear();
    }

    /// <summary>Leaves the edits invalid: the family's samples are to be formatted anew.</summary>
    public void Invalidate() => In = 0;

    /// <summary>True when the family's samples of merge <paramref name="mergedIn"/> differ from those of merge <paramref name="renderedIn"/> only at <see cref="Changed"/>.</summary>
    public bool Lead(int renderedIn, int mergedIn) => In != 0 && In == mergedIn && From == renderedIn;
}
