using System.Globalization;
using System.Text.Json;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Compaction;

/// <summary>
/// prometheus_client's own collector scraping in a loop while <c>chorus compact</c> folds dead workers' files:
/// with <c>chorus_slot.protect_collector()</c> no scrape fails (the glob-then-open race) and none is off by a
/// folded file (lost, or counted twice between the archive's rename and the claims).
/// </summary>
public sealed class PythonScrapeBesideCompactionTests
{
    private const int Rounds = 10;
    private const int WorkersPerRound = 6;
    private const int JobsPerWorker = 10;

    [Fact]
    public async Task ProtectedCollector_NeverFails_AndNeverMiscounts_WhileCompactionFolds()
    {
        using var dir = new TempDirectory("py-beside-compact");
        string metrics = dir.Subdirectory("metrics");
        string marker = dir.File("complete-jobs");
        await WriteBoundsAsync(marker, 0, 0);
        var environment = new Dictionary<string, string?> { ["PYTHONPATH"] = RepoPaths.SlotHelperDirectory };
        using ChildProcess scraper = ChildProcess.Start(
            PythonPeer.Interpreter, [RepoPaths.PythonScript("collect_beside_compaction.py"), metrics, marker, "protected"], environment, keepInputOpen: true);

        int complete = 0;
        for (int round = 0; round < Rounds; round++)
        {
            // The writers' files appear while they count: until they exit a scrape may see any part of this round.
            await WriteBoundsAsync(marker, complete, complete + (WorkersPerRound * JobsPerWorker));
            PythonPeer.RunScript("jobs_writer.py", metrics, WorkersPerRound.ToString(CultureInfo.InvariantCulture), JobsPerWorker.ToString(CultureInfo.InvariantCulture)).EnsureSuccess();
            complete += WorkersPerRound * JobsPerWorker;
            await WriteBoundsAsync(marker, complete, complete);
            (await ChorusCli.RunAsync("compact", "--dir", metrics)).EnsureSuccess();
        }

        ProcessResult result = scraper.WaitAfterClosingInput(TimeSpan.FromSeconds(30)).EnsureSuccess();
        using JsonDocument stats = JsonDocument.Parse(result.Stdout);
        JsonElement root = stats.RootElement;
        string summary = result.Stdout.Trim();
        Assert.True(root.GetProperty("collections").GetInt32() >= Rounds, summary);
        Assert.True(root.GetProperty("errors").GetInt32() == 0, summary);
        Assert.True(root.GetProperty("too_low").GetInt32() == 0, summary);
        Assert.True(root.GetProperty("too_high").GetInt32() == 0, summary);

        // Every dead worker was folded: the archive and nothing else holds the counts, and Python agrees.
        Assert.Equal(["counter_archive8.db"], Directory.GetFiles(metrics, "*.db").Select(Path.GetFileName));
        Assert.Equal(complete, ExpositionSamples.Sum(ExpositionSamples.Parse(await PythonPeer.CollectAsync(metrics)), "jobs_total"));
    }

    /// <summary>Replaces the bounds file by rename, so the scraper never reads half of it.</summary>
    private static async Task WriteBoundsAsync(string marker, int low, int high)
    {
        await File.WriteAllTextAsync(marker + ".tmp", string.Create(CultureInfo.InvariantCulture, $"{low} {high}"));
        File.Move(marker + ".tmp", marker, overwrite: true);
    }
}
