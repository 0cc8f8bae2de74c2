using System.Globalization;
using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A warm collection of many files refreshes them on several threads; the output must stay exactly
/// what a fresh single-threaded reader gives, whatever changed between collections.
/// </summary>
public class ParallelRefreshTests
{
    private const int Files = 300;

    [Theory]
    [InlineData(16384)]
    [InlineData(0)]
    public void WarmCollectionsOfManyFiles_MatchAFreshReaderAfterEveryKindOfChange(int maxKeptFiles)
    {
        using var dir = new TempDirectory();
        for (int i = 0; i < Files; i++)
        {
            Build(i, value: i).WriteTo(dir.File(NameOf(i)));
        }

        // Kept files are refreshed from their mappings; with keeping off, every file takes the idle-file read.
        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { MaxKeptFiles = maxKeptFiles });
        for (int i = 0; i < 3; i++)
        {
            AssertSameAsFresh(dir.Path, source);
        }

        Assert.Equal(Math.Min(Files, maxKeptFiles), source.LastReport.FilesKeptOpen);
        AssertRefreshedOnEveryCore(source);

        // Values written in place (the parallel path), one file grown by new entries, one replaced by a
        // rename, one deleted, one shrunk: each must be seen as a path read would see it.
        for (int i = 0; i < Files; i += 7)
        {
            UpdateInPlace(dir.File(NameOf(i)), Build(i, value: i * 10.0 + 0.5).Build());
        }

        UpdateInPlace(dir.File(NameOf(11)), Build(11, value: 3.0).Add("extra", "extra_total", 9.0).Build());
        string replacement = dir.File("replacement.tmp");
        Build(12, value: 1234.0).WriteTo(replacement);
        File.Move(replacement, dir.File(NameOf(12)), overwrite: true);
        File.Delete(dir.File(NameOf(13)));
        UpdateInPlace(dir.File(NameOf(14)), new DbFileBuilder(capacity: 64).Add("z", "z_total", 3.0).Build());

        for (int i = 0; i < 3; i++)
        {
            AssertSameAsFresh(dir.Path, source);
        }

        Assert.Empty(source.LastReport.Problems);
        AssertRefreshedOnEveryCore(source);
    }

    [Fact]
    public void AFewFiles_AreRefreshedOnOneThread()
    {
        using var dir = new TempDirectory();
        for (int i = 0; i < 10; i++)
        {
            Build(i, value: i).WriteTo(dir.File(NameOf(i)));
        }

        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        for (int i = 0; i < 3; i++)
        {
            AssertSameAsFresh(dir.Path, source);
        }

        Assert.Equal(1, source.Diagnostics.RefreshWorkers);
    }

    /// <summary>The comparison above proves nothing about threads unless the warm pass really split the files.</summary>
    private static void AssertRefreshedOnEveryCore(MultiProcessDirectory source) =>
        Assert.Equal(Environment.ProcessorCount >= 2 ? Math.Min(Environment.ProcessorCount, 8) : 1, source.Diagnostics.RefreshWorkers);

    private static string NameOf(int i) => (i % 3) switch
    {
        0 => $"counter_{i}.db",
        1 => $"gauge_livesum_{i}.db",
        _ => $"gauge_mostrecent_{i}.db",
    };

    private static DbFileBuilder Build(int i, double value)
    {
        string pid = i.ToString(CultureInfo.InvariantCulture);
        var builder = new DbFileBuilder();
        if (i % 3 == 0)
        {
            return builder.Add("c", "c_total", value).Add("c", "c_total", value + 1, labels: ("k", (i % 5).ToString(CultureInfo.InvariantCulture)));
        }

        double timestamp = i % 3 == 2 ? 1000.0 + value : 0.0;
        return builder.Add("g" + (i % 3).ToString(CultureInfo.InvariantCulture), "g" + (i % 3).ToString(CultureInfo.InvariantCulture), value, timestamp: timestamp)
            .Add("p", "p", value, timestamp: timestamp, labels: ("pid", pid));
    }

    private static void AssertSameAsFresh(string dir, MultiProcessDirectory source)
    {
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(dir, new MultiProcessDirectoryOptions { MaxKeptFiles = 0 });
        Assert.Equal(DirectoryFixture.Text(fresh), DirectoryFixture.Text(source));
    }

    private static void UpdateInPlace(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
    }
}
