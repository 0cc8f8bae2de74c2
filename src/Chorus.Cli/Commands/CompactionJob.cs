using Chorus.AspNetCore.Server;
using Chorus.Compaction;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus serve --compact-every</c>: runs the compactor on a period beside the endpoint.</summary>
internal static class CompactionJob
{
    public static ChorusBackgroundJob Create(string directory, TimeSpan interval, TimeSpan? allModeRetention)
    {
        string? lastRefusal = null;
        return new ChorusBackgroundJob("compaction", interval, cancellationToken => Task.Run(
            () =>
            {
                CompactionReport report = Compactor.Run(directory, new CompactionOptions { AllModeRetention = allModeRetention });
                if (report.Refusal != lastRefusal)
                {
                    // Say so when compaction starts or stops being refused, not on every period.
                    Console.Error.WriteLine(report.Refusal is null
                        ? "chorus serve: compaction is running again."
                        : $"chorus serve: compaction refused: {report.Refusal}");
                    lastRefusal = report.Refusal;
                }

                if (report.Recovery is not null)
                {
                    Console.Error.WriteLine($"chorus serve: recovered an interrupted compaction: {report.Recovery}");
                }

                return Summarize(report);
            },
            cancellationToken));
    }

    private static string? Summarize(CompactionReport report)
    {
        // Refusals are reported above when they start and stop; a quiet period says nothing.
        return report.Refusal is not null || report.FoldedCount + report.DeletedCount + report.MovedAsideCount == 0
            ? null
            : $"folded {report.FoldedCount}, deleted {report.DeletedCount} and moved aside {report.MovedAsideCount} (damaged) files of dead processes; {report.FilesBefore} files before, {report.FilesAfter} after";
    }
}
