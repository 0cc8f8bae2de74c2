using System.Globalization;
using System.Text.Json;
using Chorus.Aggregation;
using Chorus.Files;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Writer;

/// <summary>
/// Slot files that do not only grow: a writer whose label values come and go (<c>Chorus.TestChild churn</c>, which
/// removes every series it used but two) restarted again and again on one slot. Each new owner rewrites the slot's
/// files without the removed series, so their size follows the series in use; the two series that stay count
/// exactly, for Chorus and for prometheus_client 0.21's collector, also across a SIGKILL in the middle of a
/// rewrite and while both readers scrape through the handovers.
/// </summary>
public sealed class SlotHandoverRewriteTests
{
    private const int SeriesPerRun = 300;

    private static ProcessResult Churn(string directory, int run) =>
        TestChild.Run(["churn", directory, SeriesPerRun.ToString(CultureInfo.InvariantCulture), "run" + run.ToString(CultureInfo.InvariantCulture)]).EnsureSuccess();

    private static Dictionary<string, double> ChorusView(string directory) =>
        ExpositionSamples.Parse(ChorusCli.Run("scrape", "--dir", directory).EnsureSuccess().Stdout);

    private static async Task<Dictionary<string, double>> PythonView(string directory) =>
        ExpositionSamples.Parse(await PythonPeer.CollectAsync(directory, environment: PythonPeer.Newest));

    private static void AssertTotals(Dictionary<string, double> view, int runs, string who)
    {
        Assert.True((double)runs * SeriesPerRun == ExpositionSamples.Sum(view, "churn_series_total"), $"{who}: churn_series_total");
        Assert.True(runs == view["churn_requests_total{id=\"stable\"}"], $"{who}: the stable series");
    }

    [Fact]
    public async Task ChurningWriter_RestartedOnOneSlot_FileSizeFollowsTheSeriesInUse_TotalsExact()
    {
        const int runs = 15;
        using var dir = new TempDirectory("handover-churn");
        var sizes = new List<long>();
        for (int run = 1; run <= runs; run++)
        {
            Assert.StartsWith("slot 0", Churn(dir.Path, run).Stdout, StringComparison.Ordinal);
            sizes.Add(Directory.GetFiles(dir.Path, "*_0.db").Sum(f => new FileInfo(f).Length));
        }

        // Every run leaves SeriesPerRun removed series of each kind behind; the next owner drops them. Without the
        // rewrite the files would hold all runs × SeriesPerRun series, and the test fails (checked).
        Assert.All(sizes, size => Assert.True(size <= sizes[0], $"sizes by run: {string.Join(", ", sizes)}"));
        Dictionary<string, double> chorus = ChorusView(dir.Path);
        AssertTotals(chorus, runs, "Chorus");
        Assert.DoesNotContain(chorus.Keys, k => k.Contains("run1-", StringComparison.Ordinal));
        AssertTotals(await PythonView(dir.Path), runs, "prometheus_client 0.21");
    }

    [Theory]
    [InlineData("TemporaryWritten")]
    [InlineData("Renamed")]
    [InlineData("SidecarPruned")]
    public async Task SigkillDuringTheRewrite_NothingIsLostOrDoubled_AndTheNextOwnerFinishes(string step)
    {
        using var dir = new TempDirectory("handover-kill");
        Churn(dir.Path, 1);
        Churn(dir.Path, 2);
        long grown = new FileInfo(dir.File("counter_0.db")).Length;
        if (step == "SidecarPruned")
        {
            // A sidecar is pruned when it names keys no file holds: what a kill after the rename leaves behind.
            Assert.Equal(137, TestChild.Run(["rewrite-crash", dir.Path, "Renamed"]).ExitCode);
        }

        (int code, string stdout, string stderr) = TestChild.Run(["rewrite-crash", dir.Path, step]);

        Assert.True(code == 137, $"{step}: expected SIGKILL (137), got {code}: {stdout}{stderr}");
        AssertTotals(ChorusView(dir.Path), 2, $"Chorus after a kill at {step}");
        AssertTotals(await PythonView(dir.Path), 2, $"0.21 after a kill at {step}");

        Churn(dir.Path, 3);
        AssertTotals(ChorusView(dir.Path), 3, "Chorus after the next owner");
        AssertTotals(await PythonView(dir.Path), 3, "0.21 after the next owner");
        Assert.Empty(Directory.GetFiles(dir.Path, "*.chorus-rewrite"));
        Assert.True(new FileInfo(dir.File("counter_0.db")).Length <= grown);
    }

    [Fact]
    public async Task CompactionFoldsTheDeadSlot_ThenANewOwnerTakesIt_TotalsStayExact()
    {
        using var dir = new TempDirectory("handover-compact");
        Churn(dir.Path, 1);
        Churn(dir.Path, 2);

        ChorusCli.Run("compact", "--dir", dir.Path).EnsureSuccess();

        // The fold skipped the removed series and left the sidecars of the files it took.
        Assert.False(File.Exists(dir.File("counter_0.db")));
        Assert.True(File.Exists(DbRemovedKeys.PathFor(dir.File("counter_0.db"))));
        AssertTotals(ChorusView(dir.Path), 2, "Chorus after the fold");

        Churn(dir.Path, 3);

        AssertTotals(ChorusView(dir.Path), 3, "Chorus after the next owner");
        AssertTotals(await PythonView(dir.Path), 3, "0.21 after the next owner");
        Assert.Equal(SeriesPerRun, DbRemovedKeys.Read(dir.File("counter_0.db")).Count);
    }

    [Fact]
    public async Task ReadersScrapingThroughHandovers_NeverSeeATotalGoDown_NorFail()
    {
        const int runs = 8;
        using var dir = new TempDirectory("handover-readers");
        Churn(dir.Path, 1);
        var environment = new Dictionary<string, string?> { ["PYTHONPATH"] = RepoPaths.SlotHelperDirectory + ":" + RepoPaths.PrometheusClient021 };
        using ChildProcess python = ChildProcess.Start(
            PythonPeer.Interpreter, [RepoPaths.PythonScript("handover_collect.py"), dir.Path, "churn_series_total"], environment, keepInputOpen: true);
        python.WaitForLineStartingWith("scraping");

        using var stop = new CancellationTokenSource();
        Task<(int Collections, int Decreases)> chorus = Task.Run(() =>
        {
            using MultiProcessDirectory reader = MultiProcessDirectory.Open(dir.Path);
            int collections = 0, decreases = 0;
            double last = 0;
            while (!stop.IsCancellationRequested)
            {
                double total = reader.CollectFamilies().Single(f => f.Name == "churn_series").Samples.Sum(s => s.Value);
                Assert.True(reader.LastReport.Problems.Count == 0, string.Join("; ", reader.LastReport.Problems));
                decreases += total < last ? 1 : 0;
                last = total;
                collections++;
            }

            return (collections, decreases);
        });

        for (int run = 2; run <= runs; run++)
        {
            Churn(dir.Path, run);
        }

        await stop.CancelAsync();
        (int collections, int decreases) = await chorus;
        ProcessResult result = python.WaitAfterClosingInput(PythonPeer.Timeout).EnsureSuccess();
        using JsonDocument stats = JsonDocument.Parse(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);

        Assert.True(collections > runs, $"the Chorus reader scraped {collections} times");
        Assert.Equal(0, decreases);
        Assert.True(stats.RootElement.GetProperty("collections").GetInt32() > runs, result.Stdout);
        Assert.True(stats.RootElement.GetProperty("errors").GetInt32() == 0, result.Stdout);
        Assert.True(stats.RootElement.GetProperty("decreases").GetInt32() == 0, result.Stdout);
        Assert.Equal((double)runs * SeriesPerRun, stats.RootElement.GetProperty("last").GetDouble());
    }
}
