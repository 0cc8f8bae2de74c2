using System.CommandLine;
using System.Globalization;
using Chorus.Compaction;
using Spectre.Console;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus doctor --dir DIR</c>: a readable health report of a multiprocess directory (colour on a terminal, plain when piped).</summary>
internal static class DoctorCommand
{
    private const int MaxIdentityRows = 25;

    public static Command Create()
    {
        Option<string?> dir = DirectoryOption.Create();
        var command = new Command("doctor", "Report files, live and dead writers, layouts, damage, stale live gauges, scrape cost and what to do.") { dir };
        command.SetAction(result => Run(result.GetValue(dir)));
        return command;
    }

    private static int Run(string? dirValue)
    {
        if (!DirectoryOption.TryResolve(dirValue, out string directory))
        {
            return CliErrors.RuntimeFailure;
        }

        DirectoryDiagnosis diagnosis;
        try
        {
            diagnosis = DirectoryDiagnosis.Examine(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CliErrors.Failure($"chorus doctor: cannot examine {directory}: {e.Message}");
        }

        // Colours on a terminal; plain text when piped or redirected (TERM alone would make Spectre colour a pipe).
        IAnsiConsole console = Console.IsOutputRedirected
            ? AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(Console.Out) })
            : AnsiConsole.Console;
        console.Write(new Rule($"[bold]chorus doctor[/] {Markup.Escape(diagnosis.Survey.Directory)}").LeftJustified());
        console.Write(Summary(diagnosis));
        console.Write(Identities(diagnosis));
        if (diagnosis.DamagedFiles.Count > 0 || diagnosis.Survey.UnusableFiles.Count > 0)
        {
            console.Write(Problems(diagnosis));
        }

        console.MarkupLine("[bold]Recommended[/]");
        int n = 1;
        foreach (string advice in diagnosis.Recommendations)
        {
            console.MarkupLine($"  {n++}. {Markup.Escape(advice)}");
        }

        return 0;
    }

    private static Table Summary(DirectoryDiagnosis d)
    {
        DirectorySurvey survey = d.Survey;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Item").AddColumn("Value");
        int Count(Liveness liveness) => survey.Identities.Values.Count(i => i.Liveness == liveness && i.Kind != WriterKind.Archive);
        table.AddRow("Files", $"{survey.Files.Count} .db ({Bytes(survey.Files.Sum(f => f.Length))}), {d.Entries} entries");
        table.AddRow("Writers", $"[green]{Count(Liveness.Alive)} alive[/], {Count(Liveness.Dead)} dead, {Colour(Count(Liveness.Unknown), "red")} not visible; {survey.Identities.Values.Count(i => i.Kind == WriterKind.Archive)} archive identities");
        string layouts = string.Join(", ", d.Layouts.Select(l => $"{(l.Key == ValueLayout.Value8 ? "8-byte" : "16-byte")}: {l.Value}"));
        table.AddRow("Layouts", d.MixedLayouts ? $"[red]{layouts} (mixed!)[/]" : layouts.Length == 0 ? "no entries yet" : layouts);
        table.AddRow("Damaged files", Colour(d.DamagedFiles.Count, "red"));
        table.AddRow("Stale live gauges", Colour(d.StaleLiveGauges.Count, "yellow") + (d.StaleLiveGauges.Count > 0 ? " (live-mode files of dead writers)" : string.Empty));
        table.AddRow("Compaction journal", survey.JournalPresent ? "[yellow]present (interrupted compaction)[/]" : "none");
        (TimeSpan low, TimeSpan high) = d.PythonScrapeEstimate;
        (TimeSpan lowAfter, TimeSpan highAfter) = d.PythonScrapeEstimateAfterCompaction;
        table.AddRow("Python scrape (estimated)", $"{Ms(low)}-{Ms(high)} now; {Ms(lowAfter)}-{Ms(highAfter)} after compaction ({d.Plan.FilesAfter} files)");
        table.AddRow("Chorus scrape (measured)", $"{Ms(d.ChorusColdScrape)} cold, {Ms(d.ChorusWarmScrape)} warm");
        table.AddRow("Compaction (dry run)", d.Plan.Refusal is { } refusal
            ? $"[red]refused: {Markup.Escape(refusal)}[/]"
            : $"would fold {d.Plan.FoldedCount}, delete {d.Plan.DeletedCount}, keep {d.Plan.Files.Count(f => f.Disposition == FileDisposition.Kept)}");
        return table;
    }

    private static Table Identities(DirectoryDiagnosis d)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Writers").AddColumn("Identity").AddColumn("Kind").AddColumn("State").AddColumn("Files").AddColumn("Why");
        IEnumerable<IdentityStatus> ordered = d.Survey.Identities.Values
            .OrderBy(i => i.Liveness switch { Liveness.Unknown => 0, Liveness.Alive => 1, _ => 2 })
            .ThenBy(i => i.Identity, StringComparer.Ordinal);
        int shown = 0;
        foreach (IdentityStatus identity in ordered)
        {
            if (shown++ == MaxIdentityRows)
            {
                table.AddRow("…", string.Empty, string.Empty, string.Empty, $"{d.Survey.Identities.Count - MaxIdentityRows} more");
                break;
            }

            string state = identity.Liveness switch
            {
                Liveness.Alive => "[green]alive[/]",
                Liveness.Unknown => "[red]not visible[/]",
                _ => identity.Kind == WriterKind.Archive ? "archive" : "[grey]dead[/]",
            };
            int files = d.Survey.Files.Count(f => f.Name.Identity == identity.Identity);
            table.AddRow(Markup.Escape(identity.Identity), identity.Kind.ToString().ToLowerInvariant(), state, files.ToString(CultureInfo.InvariantCulture), Markup.Escape(identity.Reason));
        }

        return table;
    }

    private static Table Problems(DirectoryDiagnosis d)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Problems").AddColumn("File").AddColumn("Problem");
        foreach (DbFileStatus file in d.DamagedFiles)
        {
            table.AddRow(Markup.Escape(file.FileName), "[red]" + Markup.Escape(file.Damage.ToString()) + "[/]");
        }

        foreach (KeyValuePair<string, string> file in d.Survey.UnusableFiles)
        {
            table.AddRow(Markup.Escape(file.Key), Markup.Escape(file.Value));
        }

        return table;
    }

    private static string Colour(int count, string colour) =>
        count == 0 ? "0" : $"[{colour}]{count.ToString(CultureInfo.InvariantCulture)}[/]";

    private static string Ms(TimeSpan time) => time.TotalMilliseconds.ToString(time.TotalMilliseconds < 10 ? "0.00" : "0", CultureInfo.InvariantCulture) + " ms";

    private static string Bytes(long bytes) => bytes >= 1 << 20
        ? (bytes / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
        : (bytes / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " KiB";
}
