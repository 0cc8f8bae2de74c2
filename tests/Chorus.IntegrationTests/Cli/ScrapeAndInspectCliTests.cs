using System.Buffers.Binary;
using System.Text.Json;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Cli;

/// <summary><c>chorus scrape</c> and <c>chorus inspect</c> as a user runs them: exit codes, stdout, one stderr line per bad file.</summary>
public sealed class ScrapeAndInspectCliTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");
    private readonly string _dir;

    public ScrapeAndInspectCliTests()
    {
        _dir = _temp.Path;
        foreach (string file in Directory.GetFiles(RepoPaths.PythonMultiprocSample, "*.db"))
        {
            File.Copy(file, _temp.File(Path.GetFileName(file)));
        }
    }

    [Fact]
    public void Scrape_PrintsTheMergedSampleDirectory()
    {
        var (exitCode, stdout, stderr) = ChorusCli.Run("scrape", "--dir", _dir);

        Assert.Equal(0, exitCode);
        Assert.Equal(string.Empty, stderr);
        Assert.Contains("# TYPE app_requests_total counter", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_UsesTheEnvironmentVariableAndOpenMetrics()
    {
        var (exitCode, stdout, _) = ChorusCli.RunWithEnvironment(new Dictionary<string, string?> { ["PROMETHEUS_MULTIPROC_DIR"] = _dir }, "scrape", "--format", "openmetrics");

        Assert.Equal(0, exitCode);
        Assert.Contains("# TYPE app_requests counter", stdout, StringComparison.Ordinal);
        Assert.EndsWith("# EOF\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_WithBadFiles_StillSucceedsAndNamesEachOnStderr()
    {
        File.WriteAllBytes(Path.Combine(_dir, "counter_empty.db"), []);
        File.WriteAllBytes(Path.Combine(_dir, "notes_1.db"), [1, 2, 3]);
        byte[] bad = new byte[64];
        BinaryPrimitives.WriteInt32LittleEndian(bad, 40);
        BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(8), -5);
        File.WriteAllBytes(Path.Combine(_dir, "summary_bad.db"), bad);

        var (exitCode, stdout, stderr) = ChorusCli.Run("scrape", "--dir", _dir);

        Assert.Equal(0, exitCode);
        Assert.Contains("# TYPE app_requests_total counter", stdout, StringComparison.Ordinal);
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("chorus: counter_empty.db: damaged at offset 0: ", StringComparison.Ordinal) && l.EndsWith("; kept 0 entries", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("chorus: skipped notes_1.db: unknown metric type", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("chorus: summary_bad.db: damaged at offset 8: ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("does-not-exist", "does not exist")]
    [InlineData("a-file", "is a file")]
    public void Scrape_BadDirectory_ExitsOneWithAMessage(string name, string message)
    {
        string path = Path.Combine(_dir, name);
        if (name == "a-file")
        {
            File.WriteAllText(path, "x");
        }

        var (exitCode, stdout, stderr) = ChorusCli.Run("scrape", "--dir", path);

        Assert.Equal(1, exitCode);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_NoDirectoryAndNoEnvironment_IsAUsageError()
    {
        var (exitCode, _, stderr) = ChorusCli.Run("scrape");

        Assert.Equal(2, exitCode);
        Assert.Contains("PROMETHEUS_MULTIPROC_DIR", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scrape", "--format", "xml")]
    [InlineData("scrape", "--no-such-option")]
    [InlineData("no-such-command")]
    public void UsageErrors_ExitTwo(params string[] args)
    {
        var (exitCode, _, stderr) = ChorusCli.Run(args);

        Assert.Equal(2, exitCode);
        Assert.Contains("--help", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_Json_DescribesEveryFile()
    {
        var (exitCode, stdout, _) = ChorusCli.Run("inspect", _dir, "--json");

        Assert.Equal(0, exitCode);
        using JsonDocument json = JsonDocument.Parse(stdout);
        JsonElement[] files = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(Directory.GetFiles(_dir, "*.db").Length, files.Length);
        JsonElement counter = files.First(f => f.GetProperty("kind").GetString() == "counter");
        Assert.True(counter.GetProperty("entryCount").GetInt32() > 0);
        Assert.Equal(JsonValueKind.Null, counter.GetProperty("damage").ValueKind);
        Assert.StartsWith("[\"", counter.GetProperty("entries")[0].GetProperty("key").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_Text_ShowsDamageAndWhere()
    {
        string path = Path.Combine(_dir, "counter_bad.db");
        byte[] bad = new byte[64];
        BinaryPrimitives.WriteInt32LittleEndian(bad, 40);
        BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(8), 1000);
        File.WriteAllBytes(path, bad);

        var (exitCode, stdout, _) = ChorusCli.Run("inspect", path);

        Assert.Equal(0, exitCode);
        Assert.Contains("counter_bad.db: counter, identity bad", stdout, StringComparison.Ordinal);
        Assert.Contains("damaged at offset", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_MissingPath_ExitsOne()
    {
        Assert.Equal(1, ChorusCli.Run("inspect", Path.Combine(_dir, "nope.db")).ExitCode);
    }

    public void Dispose() => _temp.Dispose();
}
