using System.Net.Sockets;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Cli;

/// <summary>
/// Every command against a directory holding something that is not a readable <c>.db</c> file under a <c>.db</c>
/// name: each names the entry in one line and finishes (bounded waits; a hang fails the test), and compaction never
/// touches the entry. Tests run as root, so a chmod 000 file is readable here and is read like any other.
/// </summary>
public sealed class HostileDirectoryTests : IDisposable
{
    private const string Entry = "counter_9.db";
    private readonly TempDirectory _root = new("hostile");
    private readonly string _dir;

    public HostileDirectoryTests()
    {
        _dir = _root.Subdirectory("metrics");
        File.Copy(Path.Combine(RepoPaths.PythonMultiprocSample, "counter_4215.db"), Path.Combine(_dir, "counter_4215.db"));
        File.Copy(Path.Combine(RepoPaths.PythonMultiprocSample, "counter_4216.db"), Path.Combine(_dir, "counter_4216.db"));
    }

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData("fifo", Entry, "a FIFO")]
    [InlineData("socket", Entry, "a socket")]
    [InlineData("device", Entry, "a character device")]
    [InlineData("symlink-loop", Entry, "symbolic link")]
    [InlineData("directory", "gauge_all_9.db", "a directory")]
    public void EveryCommand_NamesTheEntryAndFinishes(string kind, string name, string description)
    {
        using Socket? socket = Create(kind, Path.Combine(_dir, name));

        ProcessResult scrape = Run("scrape", "--dir", _dir);
        Assert.Contains($"chorus: skipped {name}: ", scrape.Stderr, StringComparison.Ordinal);
        Assert.Contains("app_requests_total", scrape.Stdout, StringComparison.Ordinal);

        Assert.Contains($"{name}: ", Run("inspect", _dir).Stdout, StringComparison.Ordinal);
        ProcessResult single = Run("inspect", Path.Combine(_dir, name));
        if (kind == "directory")
        {
            // inspect takes a directory of .db files as well: this one holds none, and it says so.
            Assert.Contains($"{name}' is a directory without *.db files", single.Stderr, StringComparison.Ordinal);
        }
        else
        {
            string unreadable = single.Stdout.Split('\n').Single(l => l.StartsWith("  unreadable: ", StringComparison.Ordinal));
            Assert.Contains(name, unreadable, StringComparison.Ordinal);
            Assert.Contains(description, unreadable, StringComparison.Ordinal);
        }

        Assert.Contains(name, Run("doctor", "--dir", _dir).Stdout, StringComparison.Ordinal);
        AssertKeptLine(Run("compact", "--dir", _dir, "--dry-run"), name, description);
        AssertKeptLine(Run("compact", "--dir", _dir), name, description);
        Assert.True(Path.Exists(Path.Combine(_dir, name)), "compaction must leave the entry alone");
        Assert.False(File.Exists(Path.Combine(_dir, "counter_4215.db")), "the readable dead files are still folded");
    }

    [Fact]
    public async Task ServeWithCompactEvery_FifoInTheDirectory_KeepsServingAndCompacting()
    {
        Create("fifo", Path.Combine(_dir, Entry));
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(_dir, "--compact-every", "200ms");
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (File.Exists(Path.Combine(_dir, "counter_4215.db")) && DateTime.UtcNow < deadline)
        {
            Assert.Contains("app_requests_total", await ScrapeClient.GetMetricsTextAsync(client), StringComparison.Ordinal);
            await Task.Delay(100);
        }

        Assert.False(File.Exists(Path.Combine(_dir, "counter_4215.db")), "the dead files were not folded within 30 s: " + serve.StandardError);
        Assert.True(File.Exists(Path.Combine(_dir, "counter_archive8.db")));
        Assert.Contains("app_requests_total", await ScrapeClient.GetMetricsTextAsync(client), StringComparison.Ordinal);
        Assert.True(Path.Exists(Path.Combine(_dir, Entry)));
    }

    [Fact]
    public void SymlinkToAFileElsewhere_IsReadByScrapeAndInspect_ButNeverFoldedOrRenamed()
    {
        string outside = Path.Combine(_root.Path, "elsewhere.db");
        File.Copy(Path.Combine(RepoPaths.PythonMultiprocSample, "counter_4217.db"), outside);
        byte[] before = File.ReadAllBytes(outside);
        File.CreateSymbolicLink(Path.Combine(_dir, Entry), outside);

        Assert.DoesNotContain(Entry, Run("scrape", "--dir", _dir).Stderr, StringComparison.Ordinal);
        Assert.Contains("damage: none", Run("inspect", Path.Combine(_dir, Entry)).Stdout, StringComparison.Ordinal);
        AssertKeptLine(Run("compact", "--dir", _dir), Entry, "symbolic link");

        Assert.Equal(before, File.ReadAllBytes(outside));
        Assert.NotNull(new FileInfo(Path.Combine(_dir, Entry)).LinkTarget);
    }

    [Fact]
    public void ChmodZeroFile_AsRoot_IsReadLikeAnyOther()
    {
        Assert.True(Environment.UserName == "root", "this test documents root's view; run the suite as root");
        string path = Path.Combine(_dir, "counter_4217.db");
        File.Copy(Path.Combine(RepoPaths.PythonMultiprocSample, "counter_4217.db"), path);
        ChildProcess.Run("chmod", ["000", path], TimeSpan.FromSeconds(10)).EnsureSuccess();

        ProcessResult scrape = Run("scrape", "--dir", _dir);
        Assert.Equal(string.Empty, scrape.Stderr);
        Assert.Contains("counter_4217.db: counter, identity 4217", Run("inspect", path).Stdout, StringComparison.Ordinal);
        Assert.Contains("folded       counter_4217.db", Run("compact", "--dir", _dir).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ChmodZeroFile_AsAnUnprivilegedUser_IsNamedAndLeftAlone()
    {
        string path = Path.Combine(_dir, "counter_4217.db");
        File.Copy(Path.Combine(RepoPaths.PythonMultiprocSample, "counter_4217.db"), path);
        ChildProcess.Run("chmod", ["000", path], TimeSpan.FromSeconds(10)).EnsureSuccess();
        ChildProcess.Run("chmod", ["0755", _root.Path, _dir], TimeSpan.FromSeconds(10)).EnsureSuccess();

        Assert.Contains("chorus: skipped counter_4217.db: permission denied", RunAsNobody("scrape", "--dir", _dir).Stderr, StringComparison.Ordinal);
        Assert.Contains("  unreadable: ", RunAsNobody("inspect", path).Stdout, StringComparison.Ordinal);
        Assert.Contains("counter_4217.db  (left alone: Permission denied)", RunAsNobody("compact", "--dir", _dir, "--dry-run").Stdout, StringComparison.Ordinal);
        Assert.Contains("counter_4217.db", RunAsNobody("doctor", "--dir", _dir).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void FileThatGrowsAndShrinksWhileRead_EveryCommandFinishes()
    {
        byte[] full = File.ReadAllBytes(Path.Combine(RepoPaths.PythonMultiprocSample, "counter_4217.db"));
        string path = Path.Combine(_dir, "counter_4217.db");
        File.WriteAllBytes(path, full);
        using var stop = new CancellationTokenSource();
        var churn = new Thread(() =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                stream.SetLength(i % 3 == 0 ? 3 : i % 3 == 1 ? 100 : 1 << 20);
                stream.Position = 0;
                stream.Write(full, 0, (int)Math.Min(full.Length, stream.Length));
            }
        });
        churn.Start();

        try
        {
            for (int round = 0; round < 3; round++)
            {
                Run("scrape", "--dir", _dir);
                Run("inspect", path);
                Run("doctor", "--dir", _dir);
                Run("compact", "--dir", _dir, "--dry-run");
            }
        }
        finally
        {
            stop.Cancel();
            Assert.True(churn.Join(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public void HugeSparseFile_IsInspectedByItsUsedBytes()
    {
        // 3 GiB, larger than any array: a whole-file read fails outright; the header's used (8) bounds the read.
        string path = Path.Combine(_dir, "counter_8.db");
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write([8, 0, 0, 0, 0, 0, 0, 0]);
            stream.SetLength(3L << 30);
        }

        ProcessResult inspect = Run("inspect", path);
        Assert.Contains($"used 8 of {3L << 30} bytes, 0 entries", inspect.Stdout, StringComparison.Ordinal);
        Assert.Contains("counter_8.db", Run("compact", "--dir", _dir, "--dry-run").Stdout, StringComparison.Ordinal);
    }

    private static ProcessResult Run(params string[] arguments)
    {
        ProcessResult result = ChorusCli.Run(arguments);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    private static ProcessResult RunAsNobody(params string[] arguments)
    {
        // setpriv (util-linux) drops root for the CLI only: uid/gid 65534 (nobody), no supplementary groups.
        string[] command = ["--reuid=65534", "--regid=65534", "--clear-groups", DotnetHost.Executable, RepoPaths.ChorusDll, .. arguments];
        var environment = new Dictionary<string, string?> { ["HOME"] = Path.GetTempPath(), ["DOTNET_CLI_HOME"] = Path.GetTempPath() };
        using ChildProcess child = ChildProcess.Start("setpriv", command, environment);
        ProcessResult result = child.Wait(ChorusCli.Timeout);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    private static void AssertKeptLine(ProcessResult compact, string name, string description)
    {
        string line = compact.Stdout.Split('\n').Single(l => l.Contains($" {name} ", StringComparison.Ordinal));
        Assert.StartsWith("  kept ", line, StringComparison.Ordinal);
        Assert.Contains(description, line, StringComparison.Ordinal);
    }

    private static Socket? Create(string kind, string path)
    {
        switch (kind)
        {
            case "fifo":
                ChildProcess.Run("mkfifo", [path], TimeSpan.FromSeconds(10)).EnsureSuccess();
                return null;
            case "socket":
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(path));
                return socket;
            case "device":
                // /dev/null's numbers; needs root (the suite runs as root), and fails loudly otherwise.
                ChildProcess.Run("mknod", [path, "c", "1", "3"], TimeSpan.FromSeconds(10)).EnsureSuccess();
                return null;
            case "symlink-loop":
                File.CreateSymbolicLink(path, Path.Combine(Path.GetDirectoryName(path)!, "loop_b.db.link"));
                File.CreateSymbolicLink(Path.Combine(Path.GetDirectoryName(path)!, "loop_b.db.link"), path);
                return null;
            default:
                Directory.CreateDirectory(path);
                return null;
        }
    }
}
