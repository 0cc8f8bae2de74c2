using System.Buffers;
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

    private static int Run(string? dirValue, ExpositionFormat format)
    {
        if (!DirectoryOption.TryResolve(dirValue, out string directory, out int exitCode))
        {
            return exitCode;
        }

        using MultiProcessDirectory source = MultiProcessDirectory.Open(directory);
        var output = new ArrayBufferWriter<byte>(1 << 16);
        source.Collect(output, format);
        CollectionReport report = source.LastReport;
        foreach (FileProblem problem in report.Problems)
        {
            Console.Error.WriteLine($"chorus: {problem}");
        }

        if (report.DirectoryError is not null)
        {
            Console.Error.WriteLine($"chorus: {report.DirectoryError}");
            return 1;
        }

        using Stream stdout = Console.OpenStandardOutput();
        stdout.Write(output.WrittenSpan);
        return 0;
    }
}
