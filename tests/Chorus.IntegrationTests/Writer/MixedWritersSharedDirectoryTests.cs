using System.Globalization;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Writer;

/// <summary>
/// Python workers (prometheus_client 0.16 and 0.21, both with <c>chorus_slot.py</c>) and Chorus .NET workers writing
/// one directory at the same time, all taking slots from the same lock files, in rounds, so that slots change hands
/// between writers of different kinds and layouts. They write the same families (<c>slot_writer.py</c> mirrors
/// <c>Chorus.TestChild increment</c>), so every reader must show exactly the sum of all their work. prometheus_client
/// reads one value layout only (8 bytes up to 0.17, 16 since 0.18; files of the other are unreadable to it,
/// reference/client-python-format.md), so its collector is compared where the whole directory is in its layout.
/// </summary>
public sealed class MixedWritersSharedDirectoryTests
{
    private const int OpsPerWriter = 200;
    private const int Rounds = 3;

    private static Dictionary<string, string?> PythonEnvironment(bool newest) => new()
    {
        ["PYTHONPATH"] = newest ? RepoPaths.SlotHelperDirectory + ":" + RepoPaths.PrometheusClient021 : RepoPaths.SlotHelperDirectory,
    };

    private static ChildProcess StartPython(string directory, bool newest) =>
        PythonPeer.Start([RepoPaths.PythonScript("slot_writer.py"), directory, OpsPerWriter.ToString(CultureInfo.InvariantCulture)], PythonEnvironment(newest));

    private static ChildProcess StartDotnet(string directory, int layout) =>
        TestChild.Start(
            ["increment", directory, "2", (OpsPerWriter / 2).ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string?> { ["CHORUS_VALUE_LAYOUT"] = layout.ToString(CultureInfo.InvariantCulture), ["CHORUS_IDENTITY"] = "slot" });

    // Runs the writers of each round at once, rounds one after another; returns how many wrote.
    private static async Task<int> RunRoundsAsync(string directory, int python016, int python021, int dotnet8, int dotnet16)
    {
        int writers = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var children = new List<ChildProcess>();
            try
            {
                // Interleaved, so no kind always gets the lowest slots.
                for (int i = 0; i < Math.Max(Math.Max(python016, python021), Math.Max(dotnet8, dotnet16)); i++)
                {
                    if (i < dotnet16)
                    {
                        children.Add(StartDotnet(directory, 16));
                    }

                    if (i < python016)
                    {
                        children.Add(StartPython(directory, newest: false));
                    }

                    if (i < dotnet8)
                    {
                        children.Add(StartDotnet(directory, 8));
                    }

                    if (i < python021)
                    {
                        children.Add(StartPython(directory, newest: true));
                    }
                }

                foreach (ChildProcess child in children)
                {
                    ProcessResult result = (await child.WaitAsync(PythonPeer.Timeout)).EnsureSuccess();
                    Assert.Contains("done", result.Stdout, StringComparison.Ordinal);
                }

                writers += children.Count;
            }
            finally
            {
                children.ForEach(c => c.Dispose());
            }
        }

        return writers;
    }

    private static void AssertSumOfAllWriters(Dictionary<string, double> view, int writers, string who)
    {
        Assert.True((double)writers * OpsPerWriter == ExpositionSamples.Sum(view, "child_ops_total"), $"{who}: child_ops_total");
        Assert.True((double)writers * OpsPerWriter / 2 == view["child_labelled_ops_total{thread=\"0\"}"], $"{who}: thread 0");
        Assert.True((double)writers * OpsPerWriter / 2 == view["child_labelled_ops_total{thread=\"1\"}"], $"{who}: thread 1");
        Assert.True((double)writers * OpsPerWriter == view["child_latency_seconds_count"], $"{who}: histogram count");
    }

    private static void AssertOnlySlotIdentities(string directory)
    {
        // Slot numbers, plus files moved aside when a slot went to a writer of the other layout; never a PID.
        foreach (string name in TempDirectory.DbFileNames(directory))
        {
            string identity = name[(name.LastIndexOf('_') + 1)..^3];
            Assert.True(identity.Length < 3 || identity.Contains("-aside", StringComparison.Ordinal), $"{name} is not a slot file");
        }
    }

    [Fact]
    public async Task EightByteWriters_Python016AndChorus_BothReadersShowTheSum() =>
        await AssertOneLayoutDirectoryAsync("mixed8", newestPython: false);

    [Fact]
    public async Task SixteenByteWriters_Python021AndChorus_BothReadersShowTheSum() =>
        await AssertOneLayoutDirectoryAsync("mixed16", newestPython: true);

    // 0.16 with Chorus's 8-byte writers, or 0.21 with its 16-byte ones: then that Python's collector reads it all too.
    private static async Task AssertOneLayoutDirectoryAsync(string name, bool newestPython)
    {
        using var dir = new TempDirectory(name);
        int writers = newestPython
            ? await RunRoundsAsync(dir.Path, python016: 0, python021: 2, dotnet8: 0, dotnet16: 2)
            : await RunRoundsAsync(dir.Path, python016: 2, python021: 0, dotnet8: 2, dotnet16: 0);

        string chorus = ChorusCli.Run("scrape", "--dir", dir.Path).EnsureSuccess().Stdout;
        string python = await PythonPeer.CollectAsync(dir.Path, environment: newestPython ? PythonPeer.Newest : null);
        AssertSumOfAllWriters(ExpositionSamples.Parse(chorus), writers, "Chorus");
        ScrapeAssert.Equivalent(ScrapeModel.FromText(python), ScrapeModel.FromText(chorus), $"{name}: the Python collector vs Chorus");
        AssertOnlySlotIdentities(dir.Path);
    }

    [Fact]
    public async Task BothLayouts_Python016And021AndChorus8And16_ChorusShowsTheSum()
    {
        using var dir = new TempDirectory("mixed-all");
        int writers = await RunRoundsAsync(dir.Path, python016: 1, python021: 1, dotnet8: 1, dotnet16: 1);

        ProcessResult chorus = ChorusCli.Run("scrape", "--dir", dir.Path).EnsureSuccess();
        Assert.True(chorus.Stderr.Length == 0, $"no file is damaged, yet chorus reported:\n{chorus.Stderr}");
        AssertSumOfAllWriters(ExpositionSamples.Parse(chorus.Stdout), writers, "Chorus");
        AssertOnlySlotIdentities(dir.Path);
    }
}
