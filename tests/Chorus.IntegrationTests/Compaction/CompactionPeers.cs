using System.Diagnostics;
using System.Text.Json;
using Chorus.Aggregation;
using Chorus.Exposition;

namespace Chorus.IntegrationTests.Compaction;

/// <summary>Real peers for the compaction tests: Debian's prometheus_client 0.16 workers and collector, and the chorus CLI.</summary>
internal static class CompactionPeers
{
    public const string Python = "/usr/bin/python3";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Chorus.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException($"No Chorus.slnx above {AppContext.BaseDirectory}.");
        }
    }

    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "python", name);

    /// <summary>The CLI as built next to the tests (the test project references it, so it is always built).</summary>
    public static string CliDll
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
            string path = Path.Combine(RepoRoot, "src", "Chorus.Cli", "bin", configuration, "net10.0", "chorus.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: chorus.dll is missing.", path);
        }
    }

    /// <summary>Runs a Python worker that records traffic and exits.</summary>
    public static void RunDeadWorker(string directory, int seed, params string[] extra)
    {
        (int code, _, string stderr) = Run(Python, [Script("compaction_worker.py"), directory, seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "0", .. extra]);
        Assert.True(code == 0, stderr);
    }

    /// <summary>Starts a Python worker that keeps its files open until killed; returns once it has written them.</summary>
    public static Process StartLiveWorker(string directory, int seed, params string[] extra)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])[Script("compaction_worker.py"), directory, seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "120", .. extra])
        {
            info.ArgumentList.Add(argument);
        }

        Process process = Process.Start(info)!;
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(s_timeout) || line.Result != "ready")
        {
            process.Kill();
            Assert.Fail("the live Python worker did not start: " + process.StandardError.ReadToEnd());
        }

        return process;
    }

    /// <summary>Runs the chorus CLI; returns exit code and output.</summary>
    public static (int Code, string Stdout, string Stderr) Chorus(IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        Run("dotnet", [CliDll, .. arguments], environment);

    /// <summary>prometheus_client's merged view of each directory, in one interpreter start.</summary>
    public static Dictionary<string, SortedDictionary<string, double>> PythonViews(params string[] directories)
    {
        (int code, string stdout, string stderr) = Run(Python, [Script("compaction_collect.py"), .. directories]);
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

    /// <summary>Chorus's merged view, keyed like <see cref="PythonViews"/>.</summary>
    public static SortedDictionary<string, double> ChorusView(string directory)
    {
        using MultiProcessDirectory source = MultiProcessDirectory.Open(directory);
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

    private static (int Code, string Stdout, string Stderr) Run(string file, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in {s_timeout}.");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
