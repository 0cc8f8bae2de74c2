using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Writer;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class DirectoryProblemTests : IDisposable
{
    private readonly TempDirectory _dir = new("dirs");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void NotWritableDirectory_FailsAtRegistryCreationWithClearMessage()
    {
        string target = Path.Combine(_dir.Path, "readonly");
        Directory.CreateDirectory(target);
        bool root = Environment.UserName == "root";

        // Root ignores permission bits, so as root the directory is a read-only file system instead.
        bool mounted = root && ChildProcess.Run("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", target], TimeSpan.FromSeconds(10)).ExitCode == 0;
        Assert.True(mounted || !root, "could not mount a read-only tmpfs as root");
        if (!root)
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        try
        {
            var error = Assert.Throws<UnauthorizedAccessException>(() => Metrics.NewCustomRegistry(new ChorusOptions { Directory = target }));
            Assert.Contains("not writable", error.Message, StringComparison.Ordinal);
            Assert.Contains(target, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (mounted)
            {
                ChildProcess.Run("umount", [target], TimeSpan.FromSeconds(10));
            }
            else
            {
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    [Fact]
    public void DefaultRegistry_WhoseDirectoryAppearsAfterAFailedFirstUse_IsMadeOnTheNextUse()
    {
        string later = Path.Combine(_dir.Path, "mounted-later");
        (int exit, string stdout, string stderr) = TestChild.Run(
            ["default-registry", later],
            new Dictionary<string, string?> { ["PROMETHEUS_MULTIPROC_DIR"] = later, ["CHORUS_IDENTITY"] = null });

        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal(["first error DirectoryNotFoundException", "then slot 0"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(File.Exists(Path.Combine(later, "counter_0.db")));
    }

    [Fact]
    public void ChildWithMissingDirectory_ReportsIt()
    {
        (int exit, string stdout, _) = TestChild.Run(["slot", Path.Combine(_dir.Path, "missing")]);
        Assert.Equal(1, exit);
        Assert.Contains("does not exist", stdout, StringComparison.Ordinal);
    }
}
