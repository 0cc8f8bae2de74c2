using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>
/// Differential tests against the real peer: real Python worker processes (Debian's prometheus_client 0.16,
/// separate PIDs, some at once and some one after another) write a directory; <c>chorus scrape</c> must
/// report exactly what Python's <c>MultiProcessCollector</c> + <c>generate_latest</c> report for it.
/// </summary>
public sealed class PythonPeerDifferentialTests
{
    public static TheoryData<int> Seeds => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Scrape_MatchesPythonCollector_OnDirectoryWrittenByPythonWorkers(int seed)
    {
        using var dir = new TempDirectory($"peer-{seed}");
        (int[] pids, int[] dead) = await WriteDirectoryAsync(seed, dir.Path);

        // The run exercised what it claims to: dead workers lost only their live gauges.
        foreach (int pid in dead)
        {
            Assert.Empty(Directory.GetFiles(dir.Path, $"gauge_live*_{pid}.db"));
        }

        Assert.Equal(pids.Length, pids.Distinct().Count());

        string python = await PythonPeer.CollectAsync(dir.Path);
        ProcessResult chorus = (await ChorusCli.ScrapeAsync(dir.Path)).EnsureSuccess();

        Assert.True(chorus.Stderr.Length == 0, $"no file of a Python-written directory is damaged, yet chorus reported:\n{chorus.Stderr}");
        ScrapeAssert.Equivalent(ScrapeModel.FromText(python), ScrapeModel.FromText(chorus.Stdout), $"seed {seed}");
    }

    /// <summary>The README's main job: <c>chorus scrape --dir samples/python-multiproc</c> prints what Python prints.</summary>
    [Fact]
    public async Task Scrape_OfTheCommittedSample_MatchesPythonCollector()
    {
        string sample = Path.Combine(RepoPaths.Root, "samples", "python-multiproc");
        Assert.NotEmpty(Directory.GetFiles(sample, "*.db"));

        string python = await PythonPeer.CollectAsync(sample);
        ProcessResult chorus = (await ChorusCli.ScrapeAsync(sample)).EnsureSuccess();

        Assert.Empty(chorus.Stderr);
        ScrapeAssert.Equivalent(ScrapeModel.FromText(python), ScrapeModel.FromText(chorus.Stdout), "samples/python-multiproc");
    }

    public static TheoryData<int> OpenMetricsSeeds => [9, 10, 11];

    [Theory]
    [MemberData(nameof(OpenMetricsSeeds))]
    public async Task ScrapeOpenMetrics_MatchesPythonOpenMetricsWriter(int seed)
    {
        using var dir = new TempDirectory($"peer-om-{seed}");
        await WriteDirectoryAsync(seed, dir.Path);

        string python = await PythonPeer.CollectAsync(dir.Path, "openmetrics");
        ProcessResult chorus = (await ChorusCli.ScrapeAsync(dir.Path, "openmetrics")).EnsureSuccess();

        Assert.EndsWith("# EOF\n", chorus.Stdout, StringComparison.Ordinal);
        ScrapeAssert.Equivalent(ScrapeModel.FromText(python), ScrapeModel.FromText(chorus.Stdout), $"seed {seed} (OpenMetrics)");
    }

    /// <summary>
    /// Three workers write at the same time, then two more run one after another; the later ones declare
    /// earlier ones dead as gunicorn's <c>child_exit</c> hook would. Returns every pid and the dead ones.
    /// </summary>
    internal static async Task<(int[] Pids, int[] Dead)> WriteDirectoryAsync(int seed, string directory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var concurrent = Enumerable.Range(0, 3).Select(role => PythonPeer.StartWorkload(seed, role, directory, environment: environment)).ToList();
        try
        {
            var first = new List<int>();
            foreach (ChildProcess child in concurrent)
            {
                first.Add((await child.WaitAsync(PythonPeer.Timeout)).EnsureSuccess().Pid);
            }

            int firstDead = first[seed % 3];
            int fourth = await PythonPeer.RunWorkloadAsync(seed, 3, directory, [firstDead], environment);
            int[] secondDead = seed % 2 == 0 ? [fourth] : [];
            int fifth = await PythonPeer.RunWorkloadAsync(seed, 4, directory, secondDead, environment);
            return ([.. first, fourth, fifth], [firstDead, .. secondDead]);
        }
        finally
        {
            foreach (ChildProcess child in concurrent)
            {
                child.Dispose();
            }
        }
    }
}
