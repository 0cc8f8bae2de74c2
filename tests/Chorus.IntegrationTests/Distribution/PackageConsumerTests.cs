using System.Text.Json;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Distribution;

/// <summary>
/// samples/package-consumer takes Chorus and Chorus.AspNetCore as PackageReference from artifacts/packages (not
/// project references), builds, and two processes of it on one directory serve one merged <c>/metrics</c>.
/// </summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class PackageConsumerTests
{
    [Fact]
    public async Task PackageConsumer_BuildsFromLocalPackages_AndTwoProcessesServeOneMergedView()
    {
        using var work = new TempDirectory("package-consumer");
        string version = Artifacts.Version;
        string app = CopySample(work);
        var environment = new Dictionary<string, string?>
        {
            // A fresh package cache: the packages come from artifacts/packages now, not from an earlier restore.
            ["NUGET_PACKAGES"] = work.Subdirectory("nuget"),
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        using (ChildProcess build = ChildProcess.Start("dotnet", ["build", app, "-c", "Release", $"-p:ChorusVersion={version}"], environment))
        {
            build.Wait(TimeSpan.FromMinutes(4)).EnsureSuccess();
        }

        AssertReferencedAsPackages(app, version);

        string metricsDir = work.Subdirectory("metrics");
        string dll = Path.Combine(app, "bin", "Release", "net10.0", "PackageConsumer.dll");
        var processEnvironment = new Dictionary<string, string?> { [ChorusOptions.DirectoryVariable] = metricsDir };
        (ChildProcess first, Uri firstUrl) = await StartAsync(dll, processEnvironment);
        using ChildProcess firstProcess = first;
        (ChildProcess second, Uri secondUrl) = await StartAsync(dll, processEnvironment);
        using ChildProcess secondProcess = second;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal("done\n", await http.GetStringAsync(new Uri(firstUrl, "/work")));
        }

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal("done\n", await http.GetStringAsync(new Uri(secondUrl, "/work")));
        }

        foreach (Uri url in new[] { firstUrl, secondUrl })
        {
            Dictionary<string, double> samples = ExpositionSamples.Parse(await http.GetStringAsync(new Uri(url, "/metrics")));
            Assert.Equal(12, ExpositionSamples.Sum(samples, "sample_jobs_total"));
        }
    }

    private static string CopySample(TempDirectory work)
    {
        string source = Path.Combine(RepoPaths.Root, "samples", "package-consumer");
        string app = work.Subdirectory("app");
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        }

        // The sample names the packages folder relative to the repository; the copy lives elsewhere.
        string config = Path.Combine(app, "nuget.config");
        File.WriteAllText(config, File.ReadAllText(config).Replace("../../artifacts/packages", RepoPaths.PackagesDirectory, StringComparison.Ordinal));
        return app;
    }

    private static void AssertReferencedAsPackages(string app, string version)
    {
        using JsonDocument assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "obj", "project.assets.json")));
        JsonElement libraries = assets.RootElement.GetProperty("libraries");
        foreach (string id in new[] { "Chorus", "Chorus.AspNetCore" })
        {
            Assert.True(libraries.TryGetProperty($"{id}/{version}", out JsonElement library), $"{id} {version} was not restored");
            Assert.Equal("package", library.GetProperty("type").GetString());
        }
    }

    private static async Task<(ChildProcess Process, Uri Url)> StartAsync(string dll, IReadOnlyDictionary<string, string?> environment)
    {
        var url = new Uri($"http://127.0.0.1:{FreeLoopbackPort.Next()}");
        ChildProcess process = DotnetHost.Start(dll, ["--urls", url.ToString()], environment);
        await HttpReadiness.WaitUntilServingAsync(new Uri(url, "/metrics"), process, TimeSpan.FromSeconds(60));
        return (process, url);
    }
}
