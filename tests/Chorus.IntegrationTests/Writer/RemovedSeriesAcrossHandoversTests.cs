using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Writer;

/// <summary>
/// A series a .NET worker removed, made again by the Python worker (prometheus_client 0.16 with <c>chorus_slot.py</c>)
/// that takes its slot next: the Python worker rewrites the file without the series and keeps it listed in the removal
/// sidecar for readers still on the old file, so the sidecar names that file; Chorus's reader must show the series made
/// again (Python's collector does), and the worker after that must keep it.
/// </summary>
public sealed class RemovedSeriesAcrossHandoversTests
{
    private const string PythonWorker = """
        import sys, chorus_slot
        assert chorus_slot.install()
        from prometheus_client import Counter
        removal = Counter("child_removal", "Removal.", ["k"])
        removal.labels(sys.argv[1]).inc(float(sys.argv[2]))
        print("slot", chorus_slot.slot())
        """;

    private static void RunPython(string directory, string label, double increment)
    {
        var environment = new Dictionary<string, string?>
        {
            ["PYTHONPATH"] = RepoPaths.SlotHelperDirectory,
            ["PROMETHEUS_MULTIPROC_DIR"] = directory,
        };
        ProcessResult result = PythonPeer.Run(["-c", PythonWorker, label, increment.ToString(System.Globalization.CultureInfo.InvariantCulture)], PythonPeer.Timeout, environment: environment);
        Assert.True(result.ExitCode == 0 && result.Stdout.Contains("slot 0", StringComparison.Ordinal), result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task ASeriesTheDotnetWorkerRemoved_MadeAgainByThePythonWorkerAfterIt_IsShownByBothReaders_AndKept()
    {
        using var dir = new TempDirectory("removed-again");

        // x = 2 and y = 1, then x removed; the slot is free once the child exits.
        (int exit, string stdout, string stderr) = TestChild.Run(
            ["remove", dir.Path],
            new Dictionary<string, string?> { ["CHORUS_VALUE_LAYOUT"] = "8", ["CHORUS_IDENTITY"] = "slot" });
        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal(1.0, ExpositionSamples.Parse(ChorusCli.Run("scrape", "--dir", dir.Path).EnsureSuccess().Stdout)["child_removal_total{k=\"y\"}"]);

        RunPython(dir.Path, "x", 5);

        Dictionary<string, double> chorus = ExpositionSamples.Parse(ChorusCli.Run("scrape", "--dir", dir.Path).EnsureSuccess().Stdout);
        Dictionary<string, double> python = ExpositionSamples.Parse(await PythonPeer.CollectAsync(dir.Path));
        foreach ((string who, Dictionary<string, double> view) in new[] { ("Chorus", chorus), ("prometheus_client 0.16", python) })
        {
            Assert.True(view.TryGetValue("child_removal_total{k=\"x\"}", out double x) && x == 5.0, $"{who}: x made again");
            Assert.True(view["child_removal_total{k=\"y\"}"] == 1.0, $"{who}: y");
        }

        // The next Python worker continues x from 5 (before, it took the list for the new file's and dropped x).
        RunPython(dir.Path, "y", 1);
        chorus = ExpositionSamples.Parse(ChorusCli.Run("scrape", "--dir", dir.Path).EnsureSuccess().Stdout);
        Assert.Equal(5.0, chorus["child_removal_total{k=\"x\"}"]);
        Assert.Equal(2.0, chorus["child_removal_total{k=\"y\"}"]);
        Assert.Equal(chorus["child_removal_total{k=\"x\"}"], ExpositionSamples.Parse(await PythonPeer.CollectAsync(dir.Path))["child_removal_total{k=\"x\"}"]);
    }
}
