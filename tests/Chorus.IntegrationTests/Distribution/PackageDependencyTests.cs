using System.IO.Compression;
using System.Xml.Linq;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Distribution;

/// <summary>
/// Chorus.AspNetCore uses internals of Chorus (it sends a big body from the renderings Chorus keeps), so its package must
/// depend on exactly the Chorus it was built with: a newer Chorus beside an older Chorus.AspNetCore could lack them.
/// </summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class PackageDependencyTests
{
    [Fact]
    public void AspNetCorePackage_DependsOnExactlyItsOwnChorusVersion()
    {
        string version = Artifacts.Version;
        string package = Path.Combine(RepoPaths.PackagesDirectory, $"Chorus.AspNetCore.{version}.nupkg");
        Assert.True(File.Exists(package), $"{package} is missing: run `bash scripts/pack.sh` first.");

        using ZipArchive archive = ZipFile.OpenRead(package);
        ZipArchiveEntry nuspec = archive.Entries.Single(entry => entry.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        XDocument document = XDocument.Load(stream);
        string[] chorusRanges = document.Descendants()
            .Where(element => element.Name.LocalName == "dependency" && (string?)element.Attribute("id") == "Chorus")
            .Select(element => (string?)element.Attribute("version") ?? "")
            .ToArray();

        Assert.NotEmpty(chorusRanges);
        Assert.All(chorusRanges, range => Assert.Equal($"[{version}]", range));
    }
}
