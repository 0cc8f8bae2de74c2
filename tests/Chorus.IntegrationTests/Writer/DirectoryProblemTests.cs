using System.Diagnostics;

namespace Chorus.IntegrationTests.Writer;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DirectoryProblemTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chorus-dirs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void NotWritableDirectory_FailsAtRegistryCreationWithClearMessage()
    {
        string target = Path.Combine(_dir, "readonly");
        Directory.CreateDirectory(target);
        bool root = Environment.UserName == "root";

        // Root ignores permission bits, so as root the directory is a read-only file system instead.
        bool mounted = root && Tool("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", target) == 0;
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
                Tool("umount", target);
            }
            else
            {
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    [Fact]
    public void ChildWithMissingDirectory_ReportsIt()
    {
        (int exit, string stdout, _) = WriterTestEnvironment.RunChild(["slot", Path.Combine(_dir, "missing")]);
        Assert.Equal(1, exit);
        Assert.Contains("does not exist", stdout, StringComparison.Ordinal);
    }

    private static int Tool(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        process.WaitForExit(10_000);
        return process.ExitCode;
    }
}
