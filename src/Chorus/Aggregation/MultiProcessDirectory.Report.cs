namespace Chorus.Aggregation;

/// <content>What a collection reports: entries merged, and which file problems are new since the last one.</content>
public sealed partial class MultiProcessDirectory
{
    private int CountEntries(IReadOnlySet<string> excluded)
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
