using System.Text.RegularExpressions;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Distribution;

/// <summary>The NativeAOT <c>chorus</c> that ships: one file, no .NET runtime, the packages' version and the commit.</summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed partial class NativeBinaryTests
{
    [Fact]
    public void NativeBinary_IsOneSelfContainedFile_ThatNeedsNoDotnet()
    {
        string chorus = Artifacts.NativeChorus;
        Assert.Equal(["chorus"], Directory.GetFiles(Path.GetDirectoryName(chorus)!).Select(Path.GetFileName));

        // An ELF executable, not an apphost: it links no hostfxr/coreclr, so it finds no .NET and needs none.
        ProcessResult ldd = ChildProcess.Run("ldd", [chorus], TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("hostfxr", ldd.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("coreclr", ldd.Stdout, StringComparison.Ordinal);
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = "/usr/bin:/bin",
            ["DOTNET_ROOT"] = Path.Combine(Path.GetTempPath(), "no-dotnet-here"),
            ["DOTNET_HOST_PATH"] = null,
        };
        using ChildProcess run = ChildProcess.Start(chorus, ["scrape", "--dir", RepoPaths.PythonMultiprocSample], environment);
        ProcessResult scrape = run.Wait(TimeSpan.FromSeconds(30)).EnsureSuccess();
        Assert.Contains("# TYPE app_requests_total counter", scrape.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_IsThePackagesVersionPlusTheCommit()
    {
        using ChildProcess run = ChildProcess.Start(Artifacts.NativeChorus, ["--version"]);
        string printed = run.Wait(TimeSpan.FromSeconds(10)).EnsureSuccess().Stdout.Trim();

        Match match = VersionLine().Match(printed);
        Assert.True(match.Success, $"'{printed}' is not VERSION+COMMIT");
        Assert.Equal(Artifacts.Version, match.Groups["version"].Value);
        ProcessResult head = ChildProcess.Run("git", ["-C", RepoPaths.Root, "rev-parse", "HEAD"], TimeSpan.FromSeconds(10)).EnsureSuccess();
        Assert.True(head.Stdout.Trim() == match.Groups["commit"].Value, $"chorus was built at {match.Groups["commit"].Value}, HEAD is {head.Stdout.Trim()}: run `bash scripts/pack.sh` again.");
    }

    [GeneratedRegex(@"^(?<version>\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)\+(?<commit>[0-9a-f]{40})$")]
    private static partial Regex VersionLine();
}
