using System.CommandLine;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus scrape --dir DIR [--format prometheus|openmetrics]</c>: merge a directory once and print it.</summary>
internal static class ScrapeCommand
{
    public static Command Create()
    {
        Option<string?> dir = DirectoryOption.Create();
        var format = new Option<string>("--format")
        {
            Description = "Exposition format.",
            DefaultValueFactory = _ => "prometheus",
        };
        format.AcceptOnlyFromAmong("prometheus", "openmetrics");
        var command = new Command("scrape", "Merge a multiprocess directory once and print the exposition to stdout; problem files go to stderr.")
        {
            dir,
            format,
        };
        command.SetAction(result => Run(result.GetValue(dir), result.GetValue(format) == "openmetrics" ? ExpositionFormat.OpenMetrics : ExpositionFormat.PrometheusText));
        return command;
    }

    // What one scrape allocates stays reachable until the process exits (per-file state of every file), so a
    // collection during it only copies live objects: on a host of 512 files of 2 MB (5.12 M entries, 296,000 series) a
    // pass allocates ~530 MB, nearly all of it kept, and the collections that a smaller budget lets run stop every
    // thread for about a second. The budget applies to small and large objects each; memory is committed as it is
    // used, so peak RSS follows what is allocated. Beyond it the runtime collects as usual.
    private const long NoCollectionBudget = 1L << 30;

    private static int Run(string? dirValue, ExpositionFormat format)
    {
        string directory = DirectoryOption.Resolve(dirValue);
        HeapHugePages.Advise();
        SuspendCollections();
        using MultiProcessDirectory source = MultiProcessDirectory.Open(directory);
        using Stream stdout = Console.OpenStandardOutput();

        // Written as it is produced: a failure of the whole directory leaves every file out, so nothing has reached
        // stdout by the time it is reported (the buffer holds the first megabyte).
        var output = new StreamingOutput(stdout);
        source.Collect(output, format);
        CollectionReport report = source.LastReport;
        foreach (FileProblem problem in report.Problems)
        {
            Console.Error.WriteLine($"chorus: {problem}");
        }

        if (report.DirectoryError is not null)
        {
            throw CliErrors.Failure(report.DirectoryError);
        }

        output.Flush();
        return CliErrors.Success;
    }

    private static void SuspendCollections()
    {
        try
        {
            GC.TryStartNoGCRegion(NoCollectionBudget);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            // More than this runtime's GC allows at once: collect as usual.
        }
    }
}
