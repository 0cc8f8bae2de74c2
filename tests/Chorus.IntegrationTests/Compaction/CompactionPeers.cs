using System.Globalization;
using System.Text.Json;
using Chorus.Aggregation;
using Chorus.Exposition;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Compaction;

/// <summary>Real peers for the compaction tests: Debian's prometheus_client 0.16 workers and collector, and the directory views they are compared by.</summary>
internal static class CompactionPeers
{
    /// <summary>Runs a Python worker that records traffic and exits.</summary>
    public static void RunDeadWorker(string directory, int seed, params string[] extra) => RunDeadWorker(null, directory, seed, extra);

    /// <summary>Runs a worker of the prometheus_client that <paramref name="environment"/> selects (<see cref="PythonPeer.Newest"/> for 0.21).</summary>
    public static void RunDeadWorker(IReadOnlyDictionary<string, string?>? environment, string directory, int seed, params string[] extra)
    {
        ProcessResult result = PythonPeer.Run([RepoPaths.PythonScript("compaction_worker.py"), directory, seed.ToString(CultureInfo.InvariantCulture), "0", .. extra], PythonPeer.Timeout, environment: environment);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    /// <summary>Starts a Python worker that keeps its files open until killed; returns once it has written them.</summary>
    public static ChildProcess StartLiveWorker(string directory, int seed, params string[] extra)
    {
        ChildProcess worker = PythonPeer.Start([RepoPaths.PythonScript("compaction_worker.py"), directory, seed.ToString(CultureInfo.InvariantCulture), "120", .. extra]);
        try
        {
            worker.WaitForLineStartingWith("ready", PythonPeer.Timeout);
            return worker;
        }
        catch
        {
            worker.Dispose();
            throw;
        }
    }

    /// <summary>prometheus_client's merged view of each directory, in one interpreter start.</summary>
    public static Dictionary<string, SortedDictionary<string, double>> PythonViews(params string[] directories) =>
        PythonViews(null, directories);

    /// <summary>The merged views of the prometheus_client that <paramref name="environment"/> selects (<see cref="PythonPeer.Newest"/> for 0.21).</summary>
    public static Dictionary<string, SortedDictionary<string, double>> PythonViews(IReadOnlyDictionary<string, string?>? environment, params string[] directories)
    {
        (int code, string stdout, string stderr) = PythonPeer.Run([RepoPaths.PythonScript("compaction_collect.py"), .. directories], PythonPeer.Timeout, environment: environment);
        Assert.True(code == 0, stderr);
        var views = new Dictionary<string, SortedDictionary<string, double>>(StringComparer.Ordinal);
        using JsonDocument document = JsonDocument.Parse(stdout);
        foreach (JsonProperty dir in document.RootElement.EnumerateObject())
        {
            var view = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (JsonProperty sample in dir.Value.EnumerateObject())
            {
                view[sample.Name] = sample.Value.GetDouble();
            }

            views[dir.Name] = view;
        }

        return views;
    }

    /// <summary>Chorus's merged view, keyed like <see cref="PythonViews(string[])"/>.</summary>
    public static SortedDictionary<string, double> ChorusView(string directory)
    {
        using MultiProcessDirectory source = MultiProcessDirectory.Open(directory);
        return ChorusView(source);
    }

    /// <summary>What one more collection of <paramref name="source"/> (which may keep files from earlier ones) merges.</summary>
    public static SortedDictionary<string, double> ChorusView(MultiProcessDirectory source)
    {
        IReadOnlyList<MetricFamily> families = source.CollectFamilies();
        Assert.True(source.LastReport.DirectoryError is null, source.LastReport.DirectoryError);
        var view = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (MetricFamily family in families)
        {
            foreach (Sample sample in family.Samples)
            {
                view[sample.Name + sample.Labels.ToString()] = sample.Value;
            }
        }

        return view;
    }

    /// <summary>A view without the live gauge, which compaction rightly changes (dead processes' live gauges go).</summary>
    public static SortedDictionary<string, double> Preserved(SortedDictionary<string, double> view) =>
        new(view.Where(kv => !kv.Key.StartsWith("app_in_progress", StringComparison.Ordinal)).ToDictionary(), StringComparer.Ordinal);

    /// <summary>
    /// Counts are integers and compare exactly; fractional sums (histogram <c>_sum</c> of fractional observations)
    /// may differ in the last bits because addition order differs (directory order, archives pre-summed).
    /// </summary>
    private static bool Close(double expected, double actual) =>
        expected.Equals(actual) || Math.Abs(expected - actual) <= 1e-9 * Math.Max(1.0, Math.Abs(expected));

    /// <summary>Asserts two views are equal, listing the differing samples when not.</summary>
    public static void AssertSameView(IReadOnlyDictionary<string, double> expected, IReadOnlyDictionary<string, double> actual, string what)
    {
        var differences = expected.Keys.Union(actual.Keys)
            .Where(k => !expected.TryGetValue(k, out double e) || !actual.TryGetValue(k, out double a) || !Close(e, a))
            .Select(k => $"{k}: {(expected.TryGetValue(k, out double e) ? e : double.NaN)} vs {(actual.TryGetValue(k, out double a) ? a : double.NaN)}")
            .ToList();
        Assert.True(differences.Count == 0, $"{what}: {differences.Count} samples differ:\n{string.Join("\n", differences.Take(20))}");
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
