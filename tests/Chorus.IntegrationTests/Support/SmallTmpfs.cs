namespace Chorus.IntegrationTests.Support;

/// <summary>
/// A real small tmpfs mounted for one test (tests run as root), for full-disk and read-only faults. Mounting fails
/// the test loudly; dispose unmounts it.
/// </summary>
internal sealed class SmallTmpfs : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private SmallTmpfs(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Bytes a new file can still get (the file system's available space).</summary>
    public long Available => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount's syntax, e.g. <c>4m</c>) on a new directory <paramref name="path"/>.</summary>
    public static SmallTmpfs Mount(string path, string size)
    {
        Assert.True(Environment.UserName == "root", "mounting a small tmpfs needs root; the suite runs as root");
        Directory.CreateDirectory(path);
        ChildProcess.Run("mount", ["-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", path], s_timeout).EnsureSuccess();
        return new SmallTmpfs(path);
    }

    /// <summary>Remounts read-only (true) or read-write (false).</summary>
    public void SetReadOnly(bool readOnly) =>
        ChildProcess.Run("mount", ["-o", readOnly ? "remount,ro" : "remount,rw", Path], s_timeout).EnsureSuccess();

    /// <summary>Fills the file system with a file of real blocks (<c>fallocate</c>) so that <paramref name="leaveFree"/> bytes remain.</summary>
    public string Fill(long leaveFree)
    {
        string filler = System.IO.Path.Combine(Path, "filler");
        long length = Available - leaveFree;
        if (length > 0)
        {
            ChildProcess.Run("fallocate", ["-l", length.ToString(System.Globalization.CultureInfo.InvariantCulture), filler], s_timeout).EnsureSuccess();
        }

        return filler;
    }

    public void Dispose() => ChildProcess.Run("umount", ["-l", Path], s_timeout);
}
