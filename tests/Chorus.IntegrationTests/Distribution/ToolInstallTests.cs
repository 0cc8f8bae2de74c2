using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Distribution;

/// <summary><c>dotnet tool install Chorus.Cli</c> from the packages scripts/pack.sh writes, as a new user would.</summary>
public sealed class ToolInstallTests
{
    [Fact]
    public void ToolInstall_FromLocalPackages_GivesTheNativeChorus_ThatScrapesAVector()
    {
        using var work = new TempDirectory("tool-install");
        string version = Artifacts.Version;
        // A fresh HOME and package cache: nothing from this machine's earlier installs or restores is reused.
        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = work.Subdirectory("home"),
            ["DOTNET_CLI_HOME"] = work.File("home"),
            ["NUGET_PACKAGES"] = work.Subdirectory("nuget"),
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        string toolPath = work.File("tools");
        using (ChildProcess install = ChildProcess.Start(
            "dotnet",
            ["tool", "install", "Chorus.Cli", "--version", version, "--tool-path", toolPath, "--add-source", RepoPaths.PackagesDirectory],
            environment))
        {
            install.Wait(TimeSpan.FromMinutes(3)).EnsureSuccess();
        }

        // On linux-x64 the tool is the native package's executable, not the framework-dependent fallback.
        string shim = Path.Combine(toolPath, "chorus");
        string target = new FileInfo(shim).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? shim;
        Assert.Contains($"chorus.cli.linux-x64{Path.DirectorySeparatorChar}", target, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(target)!, "chorus.dll")), $"{target} sits beside a chorus.dll");

        using ChildProcess scrape = ChildProcess.Start(shim, ["scrape", "--dir", RepoPaths.PythonMultiprocSample], environment);
        ProcessResult result = scrape.Wait(TimeSpan.FromSeconds(30)).EnsureSuccess();
        using ChildProcess reference = ChorusCli.Start(["scrape", "--dir", RepoPaths.PythonMultiprocSample]);
        Assert.Equal(reference.Wait(ChorusCli.Timeout).EnsureSuccess().Stdout, result.Stdout);
    }
}
