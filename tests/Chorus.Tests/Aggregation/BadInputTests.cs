using System.Buffers.Binary;
using System.Text;
using Chorus.Aggregation;
using Chorus.Files;

namespace Chorus.Tests.Aggregation;

/// <summary>Every kind of bad file is reported, never thrown, and never costs another file's data.</summary>
public class BadInputTests
{
    private const string Good = "good_total{}";

    [Fact]
    public void ZeroByteFile_IsReportedAndNeighboursSurvive()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        File.WriteAllBytes(dir.File("counter_2.db"), []);

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        FileProblem problem = Assert.Single(report.Problems);
        Assert.Equal("counter_2.db", problem.FileName);
        Assert.Equal(FileProblemKind.Damaged, problem.Kind);
        Assert.Equal(DbDamageKind.ShorterThanHeader, problem.Damage.Kind);
    }

    [Fact]
    public void HiddenDbFile_IsIgnoredLikePythonsGlob()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        var (bytes, _) = DirectoryFixture.TwoEntryFile();
        File.WriteAllBytes(dir.File(".counter_2.db"), bytes);

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.DoesNotContain("c_total{n=\"a\"}", samples.Keys);
        Assert.Empty(report.Problems);
    }

    [Fact]
    public void EntryCutMidway_KeepsTheCompleteEntriesBefore()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        var (bytes, end) = DirectoryFixture.TwoEntryFile();
        // A third entry whose key claims 40 bytes but used stops 10 bytes into it.
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(end), 40);
        DbFormat.WriteUsed(bytes, end + 10);
        File.WriteAllBytes(dir.File("counter_2.db"), bytes);

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.Equal(1.0, samples["c_total{n=\"a\"}"]);
        Assert.Equal(2.0, samples["c_total{n=\"b\"}"]);
        FileProblem problem = Assert.Single(report.Problems);
        Assert.Equal(end, problem.Damage.Offset);
        Assert.Equal(2, problem.EntriesKept);
        Assert.Contains("damaged at offset", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void UsedBeyondFileSize_KeepsEntriesInsideTheFile()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        var (bytes, end) = DirectoryFixture.TwoEntryFile();
        byte[] cut = bytes[..end];
        DbFormat.WriteUsed(cut, end + 5000);
        File.WriteAllBytes(dir.File("counter_2.db"), cut);

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.Equal(2.0, samples["c_total{n=\"b\"}"]);
        FileProblem problem = Assert.Single(report.Problems);
        Assert.Equal(DbDamageKind.UsedBeyondFile, problem.Damage.Kind);
        Assert.Equal(2, problem.EntriesKept);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    [InlineData(60000)]
    public void BadKeyLength_KeepsTheEntriesBefore(int keyLength)
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        var (bytes, end) = DirectoryFixture.TwoEntryFile();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(end), keyLength);
        DbFormat.WriteUsed(bytes, end + 64);
        File.WriteAllBytes(dir.File("counter_2.db"), bytes);

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.Equal(1.0, samples["c_total{n=\"a\"}"]);
        Assert.Equal(2.0, samples["c_total{n=\"b\"}"]);
        FileProblem problem = Assert.Single(report.Problems);
        Assert.Equal(DbDamageKind.InvalidKeyLength, problem.Damage.Kind);
        Assert.Equal(end, problem.Damage.Offset);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'[', 0xC3, 0x28, (byte)']' })]
    [InlineData(new byte[] { (byte)'[', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)']' })]
    [InlineData(new byte[] { (byte)'[', (byte)'1', (byte)',', (byte)']' })]
    [InlineData(new byte[] { (byte)'[', (byte)'"', (byte)'c', (byte)'"', (byte)']' })]
    public void InvalidUtf8OrJsonKey_KeepsTheEntriesBefore(byte[] badKey)
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        byte[] bytes = new DbFileBuilder()
            .Add("c", "c_total", 1.0)
            .AddRaw(badKey, 7.0)
            .Add("c", "c_total", 2.0, labels: ("n", "after"))
            .Build();
        File.WriteAllBytes(dir.File("counter_2.db"), bytes);

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.Equal(1.0, samples["c_total{}"]);
        Assert.DoesNotContain("c_total{n=\"after\"}", samples.Keys);
        FileProblem problem = Assert.Single(report.Problems);
        Assert.Equal(DbDamageKind.InvalidKey, problem.Damage.Kind);
        Assert.Equal(1, problem.EntriesKept);
    }

    [Theory]
    [InlineData("", "c_total", "n")]
    [InlineData("c", "", "n")]
    [InlineData("c", "c_total", "")]
    public void EmptyMetricOrLabelName_IsAnInvalidKey(string family, string sample, string label)
    {
        // Any other name is valid since prometheus_client 0.22 (UTF-8 names: Utf8NameReadTests); an empty one fits no exposition.
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        new DbFileBuilder().Add("ok", "ok_total", 1.0).Add(family, sample, 2.0, labels: (label, "v")).WriteTo(dir.File("counter_2.db"));

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.Equal(1.0, samples["ok_total{}"]);
        Assert.Equal(DbDamageKind.InvalidKey, Assert.Single(report.Problems).Damage.Kind);
    }

    [Fact]
    public void HistogramBucketWithNonNumericLe_IsAnInvalidKey()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        new DbFileBuilder().Add("h", "h_sum", 1.0).Add("h", "h_bucket", 1.0, labels: ("le", "lots")).WriteTo(dir.File("histogram_2.db"));

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.Equal(1.0, samples["h_sum{}"]);
        Assert.Equal(DbDamageKind.InvalidKey, Assert.Single(report.Problems).Damage.Kind);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomBytes_AreReportedNotThrown(int seed)
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        byte[] noise = new byte[5000];
        new Random(seed).NextBytes(noise);
        File.WriteAllBytes(dir.File("counter_2.db"), noise);
        File.WriteAllBytes(dir.File("gauge_all_3.db"), noise[..7]);

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.Equal(2, report.Count(FileProblemKind.Damaged));
    }

    [Fact]
    public void FileOfTheOtherLayout_IsReadByDetection()
    {
        using var dir = new TempDirectory();
        new DbFileBuilder(ValueLayout.ValueAndTimestamp16).Add("c", "c_total", 1.5).WriteTo(dir.File("counter_1.db"));
        new DbFileBuilder(ValueLayout.Value8).Add("c", "c_total", 2.25).Add("c", "c_total", 4.0, labels: ("x", "y")).WriteTo(dir.File("counter_2.db"));
        new DbFileBuilder(ValueLayout.ValueAndTimestamp16).Add("c", "c_total", 3.0).WriteTo(dir.File("counter_3.db"));

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Empty(report.Problems);
        Assert.Equal(6.75, samples["c_total{}"]);
        Assert.Equal(4.0, samples["c_total{x=\"y\"}"]);
    }

    [Fact]
    public void UnreadableFile_IsSkippedWithReason()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        // A symlink loop cannot be opened by anyone, root included (ELOOP), unlike a chmod 000 file.
        File.CreateSymbolicLink(dir.File("counter_2.db"), dir.File("counter_2.db"));

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        FileProblem problem = Assert.Single(report.Problems);
        Assert.Equal(FileProblemKind.Unreadable, problem.Kind);
        Assert.StartsWith("skipped counter_2.db: ", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FifoNamedLikeADbFile_IsSkippedWithoutBlocking()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", dir.File("counter_2.db")))
        {
            Assert.True(mkfifo.WaitForExit(10_000));
        }

        // A blocked open would never return: bound the wait so the test fails instead of hanging.
        var (samples, _, report) = await Task.Run(() => DirectoryFixture.Scrape(dir.Path)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(5.0, samples[Good]);
        FileProblem problem = Assert.Single(report.Problems);
        Assert.Equal(FileProblemKind.Unreadable, problem.Kind);
        Assert.Contains("not a regular file", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DirectoryNamedLikeADbFile_IsReported()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        Directory.CreateDirectory(dir.File("counter_2.db"));

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        FileProblem problem = Assert.Single(report.Problems);
        Assert.Equal("counter_2.db", problem.FileName);
        Assert.Equal(FileProblemKind.Unreadable, problem.Kind);
    }

    [Fact]
    public void FileVanishingBetweenListingAndReading_IsSkipped()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        string doomed = new DbFileBuilder().Add("c", "c_total", 1.0).WriteTo(dir.File("gauge_livesum_2.db"));
        var options = new MultiProcessDirectoryOptions
        {
            // The filter runs while listing: removing the file there is the race mark_process_dead causes.
            FileFilter = name =>
            {
                if (name == "gauge_livesum_2.db")
                {
                    File.Delete(doomed);
                }

                return true;
            },
        };

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path, options);

        Assert.Equal(5.0, samples[Good]);
        Assert.DoesNotContain("c{}", samples.Keys);
        Assert.Equal(FileProblemKind.Vanished, Assert.Single(report.Problems).Kind);
    }

    [Fact]
    public void FileGrowingBetweenListingAndReading_IsReadWithItsNewEntries()
    {
        using var dir = new TempDirectory();
        string path = new DbFileBuilder().Add("c", "c_total", 1.0).WriteTo(dir.File("counter_1.db"));
        var options = new MultiProcessDirectoryOptions
        {
            FileFilter = _ =>
            {
                // Grown past the first 4 KiB read and past the initial capacity.
                var builder = new DbFileBuilder().Add("c", "c_total", 1.0);
                for (int i = 0; i < 2000; i++)
                {
                    builder.Add("c", "c_total", i, labels: ("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }

                builder.WriteTo(path);
                return true;
            },
        };

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path, options);

        Assert.Empty(report.Problems);
        Assert.Equal(2001, samples.Count);
        Assert.Equal(1999.0, samples["c_total{i=\"1999\"}"]);
    }

    [Theory]
    [InlineData("metrics_1.db", "unknown metric type")]
    [InlineData("gauge_weird_1.db", "unknown gauge mode")]
    [InlineData("gauge_1.db", "no mode or identity")]
    public void UnrecognizedFileName_IsSkippedWithReason(string name, string reason)
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        new DbFileBuilder().Add("c", "c_total", 1.0).WriteTo(dir.File(name));

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.DoesNotContain("c_total{}", samples.Keys);
        FileProblem problem = Assert.Single(report.Problems);
        Assert.Equal(FileProblemKind.UnrecognizedName, problem.Kind);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AProblem_IsNewOnlyOnTheFirstCollectionThatSeesIt()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        File.WriteAllBytes(dir.File("counter_2.db"), []);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);

        Assert.True(Assert.Single(DirectoryFixture.Scrape(source).Report.Problems).IsNew);
        Assert.False(Assert.Single(DirectoryFixture.Scrape(source).Report.Problems).IsNew);
        File.WriteAllBytes(dir.File("counter_2.db"), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        Assert.True(Assert.Single(DirectoryFixture.Scrape(source).Report.Problems).IsNew);
        File.Delete(dir.File("counter_2.db"));
        Assert.Empty(DirectoryFixture.Scrape(source).Report.Problems);
        File.WriteAllBytes(dir.File("counter_2.db"), []);
        Assert.True(Assert.Single(DirectoryFixture.Scrape(source).Report.Problems).IsNew);
    }

    [Fact]
    public void ZeroUsedHeader_MeansNoEntriesYet()
    {
        using var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        File.WriteAllBytes(dir.File("counter_2.db"), new byte[DbFormat.InitialCapacity]);

        var (samples, _, report) = DirectoryFixture.Scrape(dir.Path);

        Assert.Equal(5.0, samples[Good]);
        Assert.Empty(report.Problems);
        Assert.Equal(2, report.FilesRead);
    }

    [Fact]
    public void MissingDirectory_FailsToOpenWithAClearMessage()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<DirectoryNotFoundException>(() => MultiProcessDirectory.Open(dir.File("nope")));
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        string file = dir.File("plain.txt");
        File.WriteAllText(file, "x", Encoding.UTF8);
        Assert.Contains("is a file", Assert.Throws<DirectoryNotFoundException>(() => MultiProcessDirectory.Open(file)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DirectoryRemovedAfterOpen_YieldsEmptyOutputAndAnError()
    {
        var dir = new TempDirectory();
        DirectoryFixture.WriteGoodNeighbour(dir);
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        Assert.Equal(5.0, DirectoryFixture.Scrape(source).Samples[Good]);
        dir.Dispose();

        var (samples, _, report) = DirectoryFixture.Scrape(source);

        Assert.Empty(samples);
        Assert.NotNull(report.DirectoryError);
    }
}
