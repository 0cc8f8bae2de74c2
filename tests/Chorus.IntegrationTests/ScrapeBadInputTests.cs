using System.Buffers.Binary;
using System.Text;
using Chorus.Files;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests;

/// <summary>
/// <c>chorus scrape</c> on directories holding one bad file among good ones: the scrape still succeeds
/// (exit 0), every good file's data is in the output, and stderr names the bad file and says why.
/// (Python's collector fails the whole scrape on each of these.)
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ScrapeBadInputTests
{
    private const string BadFile = "counter_999.db";

    [Fact]
    public async Task ZeroByteFile_IsReported_AndTheRestIsServed()
    {
        using var dir = GoodDirectory();
        await File.WriteAllBytesAsync(dir.File(BadFile), []);

        await AssertScrapeSurvivesAsync(dir, BadFile);
    }

    [Fact]
    public async Task EntryCutMidway_KeepsTheCompleteEntriesBeforeIt()
    {
        using var dir = GoodDirectory();
        var builder = BadFamily(ValueLayout.Value8);
        byte[] bytes = builder.Build();
        // `used` ends in the middle of the second entry's key.
        DbFormat.WriteUsed(bytes, builder.EntryOffsets[1] + 10);
        await File.WriteAllBytesAsync(dir.File(BadFile), bytes);

        ScrapeModel model = await AssertScrapeSurvivesAsync(dir, BadFile);
        Assert.Equal(3, model.Value("bad_total", ("k", "first")));
        Assert.Null(model.Value("bad_total", ("k", "second")));
    }

    [Fact]
    public async Task FileCutMidway_KeepsTheCompleteEntriesBeforeIt()
    {
        using var dir = GoodDirectory();
        var builder = BadFamily(ValueLayout.Value8);
        byte[] bytes = builder.Build();
        // The header still claims both entries, but the file ends inside the second one.
        await File.WriteAllBytesAsync(dir.File(BadFile), bytes.AsSpan(0, builder.EntryOffsets[1] + 10).ToArray());

        ScrapeModel model = await AssertScrapeSurvivesAsync(dir, BadFile);
        Assert.Equal(3, model.Value("bad_total", ("k", "first")));
        Assert.Null(model.Value("bad_total", ("k", "second")));
    }

    [Fact]
    public async Task UsedBeyondFileSize_IsReported_AndTheEntriesInsideTheFileAreKept()
    {
        using var dir = GoodDirectory();
        var builder = BadFamily(ValueLayout.Value8);
        byte[] bytes = builder.Build();
        DbFormat.WriteUsed(bytes, 10_000_000);
        await File.WriteAllBytesAsync(dir.File(BadFile), bytes);

        ScrapeModel model = await AssertScrapeSurvivesAsync(dir, BadFile);
        Assert.Equal(3, model.Value("bad_total", ("k", "first")));
        Assert.Equal(4, model.Value("bad_total", ("k", "second")));
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(int.MinValue)]
    [InlineData(0x7FFF_FFF0)]
    [InlineData(70_000)]
    public async Task ImpossibleKeyLength_IsReported_AndEarlierEntriesAreKept(int keyLength)
    {
        using var dir = GoodDirectory();
        var builder = BadFamily(ValueLayout.Value8);
        byte[] bytes = builder.Build();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(builder.EntryOffsets[1]), keyLength);
        await File.WriteAllBytesAsync(dir.File(BadFile), bytes);

        ScrapeModel model = await AssertScrapeSurvivesAsync(dir, BadFile);
        Assert.Equal(3, model.Value("bad_total", ("k", "first")));
        Assert.Null(model.Value("bad_total", ("k", "second")));
    }

    [Fact]
    public async Task InvalidUtf8InKey_IsReported_AndTheRestIsServed()
    {
        using var dir = GoodDirectory();
        byte[] key = DbKey.Encode("bad", "bad_total", ["k"], ["xx"], "help");
        int at = Array.IndexOf(key, (byte)'x');
        key[at] = 0xC3; // a lead byte followed by 'x' is not UTF-8
        key[at + 1] = 0x28;
        new DbFileBuilder(ValueLayout.Value8).Add("ok_in_bad_file", "ok_in_bad_file_total", 1).AddRaw(key, 5).WriteTo(dir.File(BadFile));

        await AssertScrapeSurvivesAsync(dir, BadFile);
    }

    [Theory]
    [InlineData("[\"bad\", \"bad_total\", {\"k\": \"v\"}, \"help\"")]
    [InlineData("{\"not\": \"an array\"}")]
    [InlineData("[\"bad\", \"bad_total\", {\"k\": 7}, \"help\"]")]
    [InlineData("[\"bad\", \"bad_total\", {\"k\": \"v\"}, \"help\", \"extra\", 1]")]
    [InlineData("[\"only-two\", \"elements\"]")]
    public async Task InvalidJsonKey_IsReported_AndTheRestIsServed(string json)
    {
        using var dir = GoodDirectory();
        new DbFileBuilder(ValueLayout.Value8).AddRaw(Encoding.UTF8.GetBytes(json), 5).WriteTo(dir.File(BadFile));

        ScrapeModel model = await AssertScrapeSurvivesAsync(dir, BadFile);
        Assert.DoesNotContain(model.Samples.Keys, id => id.StartsWith("bad_total", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomBytes_AreReported_AndTheRestIsServed(int seed)
    {
        using var dir = GoodDirectory();
        byte[] noise = new byte[65536];
        new Random(seed).NextBytes(noise);
        await File.WriteAllBytesAsync(dir.File(BadFile), noise);

        await AssertScrapeSurvivesAsync(dir, BadFile);
    }

    [Fact]
    public async Task SixteenByteLayoutFileAmongEightByteOnes_IsReadWithItsOwnLayout()
    {
        using var dir = GoodDirectory();
        BadFamily(ValueLayout.ValueAndTimestamp16).WriteTo(dir.File("counter_300.db"));

        ProcessResult result = await ScrapeAsync(dir);

        Assert.True(result.ExitCode == 0, result.Describe());
        ScrapeModel model = ScrapeModel.FromText(result.Stdout);
        AssertGoodData(model);
        Assert.Equal(3, model.Value("bad_total", ("k", "first")));
        Assert.Equal(4, model.Value("bad_total", ("k", "second")));
        Assert.DoesNotContain("counter_300.db", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreadableFile_IsReported_AndTheRestIsServed()
    {
        using var dir = GoodDirectory();
        string path = dir.File(BadFile);
        BadFamily(ValueLayout.Value8).WriteTo(path);
        File.SetUnixFileMode(path, UnixFileMode.None);

        if (CanStillRead(path))
        {
            // Root (as in CI containers) reads through mode 000; then the file is good and must be served.
            ProcessResult result = await ScrapeAsync(dir);
            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Equal(3, ScrapeModel.FromText(result.Stdout).Value("bad_total", ("k", "first")));
        }
        else
        {
            await AssertScrapeSurvivesAsync(dir, BadFile);
        }
    }

    [Fact]
    public async Task DirectoryNamedLikeADbFile_IsReported_AndTheRestIsServed()
    {
        using var dir = GoodDirectory();
        Directory.CreateDirectory(dir.File(BadFile));

        await AssertScrapeSurvivesAsync(dir, BadFile);
    }

    [Fact]
    public async Task FifoNamedLikeADbFile_DoesNotHang_AndIsReported()
    {
        using var dir = GoodDirectory();
        using (ChildProcess mkfifo = ChildProcess.Start("mkfifo", [dir.File(BadFile)]))
        {
            (await mkfifo.WaitAsync(TimeSpan.FromSeconds(10))).EnsureSuccess();
        }

        // Opening a FIFO for reading blocks until a writer appears: a reader that opens it hangs here
        // and the process is killed by the time limit.
        using ChildProcess scrape = ChorusCli.Start(["scrape", "--dir", dir.Path]);
        ProcessResult result = await scrape.WaitAsync(TimeSpan.FromSeconds(20));

        AssertSurvived(result, BadFile);
    }

    [Fact]
    public async Task DanglingSymlink_IsReported_AndTheRestIsServed()
    {
        using var dir = GoodDirectory();
        File.CreateSymbolicLink(dir.File(BadFile), dir.File("no-such-target.db"));

        await AssertScrapeSurvivesAsync(dir, BadFile);
    }

    [Fact]
    public async Task MissingDirectory_ExitsOne_WithAClearMessage()
    {
        using var parent = new TempDirectory("missing");
        string missing = parent.File("does-not-exist");

        ProcessResult result = await ChorusCli.ScrapeAsync(missing);

        Assert.True(result.ExitCode == 1, result.Describe());
        Assert.Contains(missing, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task DirectoryThatIsAFile_ExitsOne_WithAClearMessage()
    {
        using var parent = new TempDirectory("notdir");
        string file = parent.File("plain-file");
        await File.WriteAllTextAsync(file, "not a directory");

        ProcessResult result = await ChorusCli.ScrapeAsync(file);

        Assert.True(result.ExitCode == 1, result.Describe());
        Assert.Contains(file, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("scrape", "--no-such-flag")]
    [InlineData("scrape", "--format", "xml")]
    [InlineData("scrape", "--dir")]
    [InlineData("no-such-command")]
    public async Task BadArguments_ExitTwo_WithAMessage(params string[] arguments)
    {
        using var dir = GoodDirectory();
        string[] args = arguments.Length > 1 && arguments[1] != "--dir" ? [.. arguments, "--dir", dir.Path] : arguments;

        ProcessResult result = await ChorusCli.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.Describe());
        Assert.NotEmpty(result.Stderr.Trim());
    }

    [Fact]
    public async Task NoDirAndNoEnvironmentVariable_ExitsTwo_NamingTheVariable()
    {
        ProcessResult result = await ChorusCli.RunWithEnvironmentAsync(new Dictionary<string, string?>(), "scrape");

        Assert.True(result.ExitCode == 2, result.Describe());
        Assert.Contains("PROMETHEUS_MULTIPROC_DIR", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DirDefaultsToTheEnvironmentVariable()
    {
        using var dir = GoodDirectory();

        ProcessResult result = await ChorusCli.RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["PROMETHEUS_MULTIPROC_DIR"] = dir.Path }, "scrape");

        Assert.True(result.ExitCode == 0, result.Describe());
        AssertGoodData(ScrapeModel.FromText(result.Stdout));
    }

    [Fact]
    public async Task FilesThatGrowAndDisappearWhileScraping_NeverFailTheScrape()
    {
        using var dir = GoodDirectory();
        byte[] vanishing = new DbFileBuilder(ValueLayout.Value8).Add("vanishing", "vanishing", 1, "Comes and goes.").Build();
        using ChildProcess writer = PythonPeer.Start([RepoPaths.PythonScript("churn.py"), dir.Path, "40"]);
        string growing = dir.File($"counter_{writer.Pid}.db");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(growing) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        Assert.True(File.Exists(growing), "the Python writer never created its file");
        int firstSeries = -1;
        int lastSeries = 0;
        int scrapes = 0;
        int filesChurned = 0;
        // A fast reader (the native chorus) finishes eight scrapes before the writer has doubled its file, so
        // scraping goes on until it has seen the file grow twice.
        for (int scrape = 0; (scrape < 8 || new FileInfo(growing).Length <= 2 * DbFormat.InitialCapacity) && clock.Elapsed < TimeSpan.FromSeconds(30); scrape++)
        {
            using ChildProcess chorus = ChorusCli.Start(["scrape", "--dir", dir.Path]);
            Task<ProcessResult> done = chorus.WaitAsync(ChorusCli.Timeout);
            // Files appear and vanish between the reader's listing and its reads.
            for (int n = 0; !done.IsCompleted && n < 2000; n++)
            {
                string path = dir.File($"gauge_livesum_{70000 + (n % 4)}.db");
                await File.WriteAllBytesAsync(path, vanishing);
                File.Delete(path);
                filesChurned++;
            }

            ProcessResult result = await done;
            Assert.True(result.ExitCode == 0, $"scrape {scrape}: " + result.Describe());
            ScrapeModel model = ScrapeModel.FromText(result.Stdout);
            AssertGoodData(model);
            int series = model.Samples.Keys.Count(id => id.StartsWith("churn_series_total{", StringComparison.Ordinal));
            Assert.True(series >= lastSeries, $"scrape {scrape} saw {series} series of a counter that only gains series, after {lastSeries}");
            lastSeries = series;
            firstSeries = firstSeries < 0 ? series : firstSeries;
            scrapes++;
        }

        writer.Kill();
        // Without these, a slow start could leave no time for scrapes and the test would pass having checked nothing.
        Assert.True(scrapes >= 3, $"only {scrapes} scrapes ran within 30 s");
        Assert.True(filesChurned > 0, "no file came and went while a scrape ran");
        Assert.True(lastSeries > firstSeries, $"the file did not grow while being scraped ({firstSeries} -> {lastSeries} series)");
        Assert.True(new FileInfo(growing).Length > DbFormat.InitialCapacity, "the writer never grew its file past 64 KiB");
    }

    private static async Task<ProcessResult> ScrapeAsync(TempDirectory dir) => await ChorusCli.ScrapeAsync(dir.Path);

    /// <summary>Scrapes, then checks exit 0, the good data, and a stderr line naming the bad file.</summary>
    private static async Task<ScrapeModel> AssertScrapeSurvivesAsync(TempDirectory dir, string badFile) =>
        AssertSurvived(await ScrapeAsync(dir), badFile);

    private static ScrapeModel AssertSurvived(ProcessResult result, string badFile)
    {
        Assert.True(result.ExitCode == 0, "a bad file must not fail the scrape: " + result.Describe());
        ScrapeModel model = ScrapeModel.FromText(result.Stdout);
        AssertGoodData(model);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string? line = lines.FirstOrDefault(l => l.Contains(badFile, StringComparison.Ordinal));
        Assert.True(line is not null, $"stderr does not name {badFile}:\n{result.Stderr}");
        // The line says why, not just which: more than the path and a word.
        Assert.True(line!.Replace(badFile, "", StringComparison.Ordinal).Trim().Length > 10, $"no reason given: {line}");
        Assert.DoesNotContain(lines, l => l.Contains("counter_100.db", StringComparison.Ordinal) || l.Contains("counter_200.db", StringComparison.Ordinal) || l.Contains("gauge_all_100.db", StringComparison.Ordinal));
        return model;
    }

    /// <summary>Three good files from two processes: a counter summed across them and a per-process gauge.</summary>
    private static TempDirectory GoodDirectory()
    {
        var dir = new TempDirectory("bad-input");
        new DbFileBuilder(ValueLayout.Value8)
            .Add("good", "good_total", 5, "Good counter.", ("path", "/a"))
            .Add("good", "good_total", 7, "Good counter.", ("path", "/b"))
            .WriteTo(dir.File("counter_100.db"));
        new DbFileBuilder(ValueLayout.Value8)
            .Add("good", "good_total", 1, "Good counter.", ("path", "/a"))
            .WriteTo(dir.File("counter_200.db"));
        new DbFileBuilder(ValueLayout.Value8)
            .Add("temp_celsius", "temp_celsius", 21.5, "Good gauge.")
            .WriteTo(dir.File("gauge_all_100.db"));
        return dir;
    }

    private static void AssertGoodData(ScrapeModel model)
    {
        Assert.Equal(6, model.Value("good_total", ("path", "/a")));
        Assert.Equal(7, model.Value("good_total", ("path", "/b")));
        Assert.Equal(21.5, model.Value("temp_celsius", ("pid", "100")));
    }

    /// <summary>Two entries of a counter family, <c>bad_total{k="first"} 3</c> then <c>{k="second"} 4</c>.</summary>
    private static DbFileBuilder BadFamily(ValueLayout layout) =>
        new DbFileBuilder(layout)
            .Add("bad", "bad_total", 3, "From the damaged file.", ("k", "first"))
            .Add("bad", "bad_total", 4, "From the damaged file.", ("k", "second"));

    private static bool CanStillRead(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
