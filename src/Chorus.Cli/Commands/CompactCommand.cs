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
        var retention = new Option<string?>("--all-retention")
        {
            Description = "Delete 'all'-mode gauge files of dead processes once unchanged for this long (e.g. 1h, 7d), or 'never' (prometheus_client's behaviour). Default: 10m.",
            HelpName = "DURATION|never",
        };
        var command = new Command("compact", "Fold the files of dead processes into archive files (crash-safe; prometheus_client reads them too).")
        {
            dir, dryRun, retention,
        };
        command.SetAction(result =>
        {
            string directory = DirectoryOption.Resolve(result.GetValue(dir));
            string? retentionText = result.GetValue(retention);
            if (!DurationArgument.TryParseRetention(retentionText, out TimeSpan? allRetention))
            {
                throw CliErrors.Usage($"--all-retention: '{retentionText}' is not a duration; use e.g. 10m, 24h or never.");
            }

            CompactionReport report;
            try
            {
                report = Compactor.Run(directory, new CompactionOptions { DryRun = result.GetValue(dryRun), AllModeRetention = allRetention });
            }
            catch (InvalidDataException e)
            {
                throw CliErrors.Failure($"compaction stopped: {e.Message} The journal is written atomically, so something outside Chorus damaged it; restore or remove it (docs/operations.md, 'Faults'). No .db file was changed.");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CliErrors.Failure($"compaction failed: {e.Message} Nothing is lost: the journal lets the next 'chorus compact' finish or undo the interrupted work.");
            }

            Print(report);
            return report.Refused ? throw CliErrors.Failure($"refused: {report.Refusal}") : CliErrors.Success;
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
                FileDisposition.MovedAside => report.DryRun ? "would move aside" : "moved aside",
                _ => "kept",
            };
            string target = file.Archive is null ? string.Empty : $" -> {file.Archive}";
            Console.WriteLine($"  {verb,-12} {file.FileName}{target}  ({file.Reason})");
        }

        Console.WriteLine($"Files: {report.FilesBefore} -> {report.FilesAfter}; bytes: {report.BytesBefore} -> {report.BytesAfter}; "
            + $"folded {report.FoldedCount}, deleted {report.DeletedCount}, moved aside {report.MovedAsideCount}, archives {(report.Archives.Count == 0 ? "none" : string.Join(", ", report.Archives))}");
        if (!report.DryRun && report.Archives.Count > 0)
        {
            Console.WriteLine($"Longest window in which prometheus_client could double-count: {report.PythonDoubleCountWindow.TotalMilliseconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} ms");
        }
    }
}
