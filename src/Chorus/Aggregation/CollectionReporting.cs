using System.Diagnostics;

namespace Chorus.Aggregation;

/// <summary>
/// The reporting stage of <see cref="MultiProcessDirectory"/>: what a collection reports (files, bytes, entries merged,
/// time), and which file problems are new since the last one.
/// </summary>
/// <param name="frozen">The frozen files (their entries count without a walk).</param>
/// <param name="ordered">Every listed file in file order.</param>
/// <param name="live">The files not frozen, in file order.</param>
internal sealed class CollectionReporting(FrozenFiles frozen, List<FileState> ordered, List<FileState> live)
{
    private readonly FrozenFiles _frozen = frozen;
    private readonly List<FileState> _ordered = ordered;
    private readonly List<FileState> _live = live;
    private Dictionary<string, FileProblem> _previousProblems = new(StringComparer.Ordinal);

    /// <summary>The entries the merge takes from: every file's but <paramref name="excluded"/>'.</summary>
    public int CountEntries(IReadOnlySet<string> excluded)
    {
        long entries = 0;
        if (excluded.Count == 0)
        {
            entries = _frozen.Entries;
            foreach (FileState file in _live)
            {
                // Files frozen by this collection are still listed as live.
                entries += file.Frozen ? 0 : file.Count;
            }
        }
        else
        {
            foreach (FileState file in _ordered)
            {
                entries += excluded.Contains(file.FileName) ? 0 : file.Count;
            }
        }

        return (int)Math.Min(entries, int.MaxValue);
    }

    /// <summary>The report of the collection <paramref name="pass"/> ends, begun at <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public CollectionReport Report(CollectionPass pass, int entries, int families, long started, int keptFiles)
    {
        MarkNewProblems(pass.Problems);
        return new CollectionReport(_ordered.Count + (pass.Vanished?.Count ?? 0), pass.FilesRead, pass.BytesRead, pass.EntriesParsed, entries, families, Stopwatch.GetElapsedTime(started), pass.Problems, pass.DirectoryError, keptFiles);
    }

    private void MarkNewProblems(List<FileProblem> problems)
    {
        if (problems.Count == 0 && _previousProblems.Count == 0)
        {
            return;
        }

        var current = new Dictionary<string, FileProblem>(problems.Count, StringComparer.Ordinal);
        for (int i = 0; i < problems.Count; i++)
        {
            FileProblem problem = problems[i];
            bool seen = _previousProblems.TryGetValue(problem.FileName, out FileProblem? before)
                && before.Kind == problem.Kind && before.Damage == problem.Damage && before.Reason == problem.Reason;
            if (seen)
            {
                problems[i] = problem = problem with { IsNew = false };
            }

            current[problem.FileName] = problem;
        }

        _previousProblems = current;
    }
}
