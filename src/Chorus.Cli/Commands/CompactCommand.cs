using System.CommandLine;
using Chorus.Compaction;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus compact --dir DIR [--dry-run]</c>: folds dead writers' files into archives and prints what it did.</summary>
internal static class CompactCommand
{
    public static Command Create()
    {
        Option<string?> dir = DirectoryOption.Create();
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be done; change nothing." };
        var retention = new Option<TimeSpan?>("--all-retention")
        {
            Description = "Delete 'all'-mode gauge files of dead processes unchanged for this long (e.g. 1.00:00:00). Default: keep them.",
        };
        var command = new Command("compact", "Fold the files of dead processes into archive files (crash-safe; prometheus_client reads them too).")
        {
            dir, dryRun, retention,
        };
        command.SetAction(result =>
        {
            if (!DirectoryOption.TryResolve(result.GetValue(dir), out string directory))
            {
                return 1;
            }

            CompactionReport report;
            try
            {
                report = Compactor.Run(directory, new CompactionOptions { DryRun = result.GetValue(dryRun), AllModeRetention = result.GetValue(retention) });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Console.Error.WriteLine($"Compaction failed: {e.Message}");
                Console.Error.WriteLine("Nothing is lost: the journal lets the next 'chorus compact' finish or undo the interrupted work.");
                return 1;
            }

            Print(report);
            if (report.Refused)
            {
                Console.Error.WriteLine($"Refused: {report.Refusal}");
                return 1;
            }

            return 0;
        });
        return command;
    }

    private static void Print(CompactionReport report)
    {
        Console.WriteLine($"{(report.DryRun ? "Dry run (nothing changed)" : "Compaction")} of {report.Directory}");
        if (report.Recovery is not null)
        {
            Console.WriteLine($"Recovery: {report.Recovery}");
        }

        foreach (FileAction file in report.Files)
        {
            string verb = file.Disposition switch
            {
                FileDisposition.Folded => report.DryRun ? "would fold" : "folded",
                FileDisposition.Deleted => report.DryRun ? "would delete" : "deleted",
                _ => "kept",
            };
            string target = file.Archive is null ? string.Empty : $" -> {file.Archive}";
            Console.WriteLine($"  {verb,-12} {file.FileName}{target}  ({file.Reason})");
        }

        Console.WriteLine($"Files: {report.FilesBefore} -> {report.FilesAfter}; bytes: {report.BytesBefore} -> {report.BytesAfter}; "
            + $"folded {report.FoldedCount}, deleted {report.DeletedCount}, archives {(report.Archives.Count == 0 ? "none" : string.Join(", ", report.Archives))}");
        if (!report.DryRun && report.Archives.Count > 0)
        {
            Console.WriteLine($"Longest window in which prometheus_client could double-count: {report.PythonDoubleCountWindow.TotalMilliseconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} ms");
        }
    }
}
