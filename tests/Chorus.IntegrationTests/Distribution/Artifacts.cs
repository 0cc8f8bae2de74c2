using System.Text.RegularExpressions;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Distribution;

/// <summary>
/// What <c>scripts/pack.sh</c> wrote: scripts/test.sh packs before it tests, so a missing artifact fails these
/// tests with the command to run, never skips them.
/// </summary>
internal static partial class Artifacts
{
    /// <summary>The one version every artifact carries (the packages' file names say it).</summary>
    public static string Version
    {
        get
        {
            string packages = RepoPaths.PackagesDirectory;
            Assert.True(Directory.Exists(packages), $"{packages} is missing: run `bash scripts/pack.sh` first.");
            string? library = Directory.GetFiles(packages, "Chorus.*.nupkg")
                .Select(Path.GetFileName)
                .Select(name => LibraryPackage().Match(name!))
                .Where(match => match.Success)
                .Select(match => match.Groups["version"].Value)
                .SingleOrDefault();
            Assert.True(library is not null, $"no Chorus.VERSION.nupkg in {packages}: run `bash scripts/pack.sh` first.");
            return library;
        }
    }

    /// <summary>The native executable, checked to exist.</summary>
    public static string NativeChorus
    {
        get
        {
            Assert.True(File.Exists(RepoPaths.NativeChorus), $"{RepoPaths.NativeChorus} is missing: run `bash scripts/pack.sh` first.");
            return RepoPaths.NativeChorus;
        }
    }

    [GeneratedRegex(@"^Chorus\.(?<version>\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)\.nupkg$")]
    private static partial Regex LibraryPackage();
}
