using Chorus.Aggregation;
using Microsoft.Extensions.Logging;

namespace Chorus.AspNetCore.SelfMetrics;

/// <summary>
/// Logs each skipped or damaged file once, not once per scrape: a file is logged when it first shows a problem (or a
/// different one), and forgotten when a scrape no longer reports it, so a recurrence is logged again.
/// </summary>
internal sealed class ProblemLog(ILogger logger)
{
    private readonly Lock _gate = new();
    private Dictionary<string, FileProblemKind> _logged = new(StringComparer.Ordinal);
    private Dictionary<string, FileProblemKind> _spare = new(StringComparer.Ordinal);
    private string? _directoryError;

    public void Observe(CollectionReport report)
    {
        lock (_gate)
        {
            if (report.DirectoryError != _directoryError)
            {
                _directoryError = report.DirectoryError;
                if (_directoryError is not null)
                {
                    logger.LogError("Cannot list the multiprocess directory: {Error}", _directoryError);
                }
            }

            if (report.Problems.Count == 0 && _logged.Count == 0)
            {
                return;
            }

            _spare.Clear();
            foreach (FileProblem problem in report.Problems)
            {
                if (!_logged.TryGetValue(problem.FileName, out FileProblemKind kind) || kind != problem.Kind)
                {
                    logger.LogWarning("{Problem}", problem.ToString());
                }

                _spare[problem.FileName] = problem.Kind;
            }

            (_logged, _spare) = (_spare, _logged);
        }
    }
}
