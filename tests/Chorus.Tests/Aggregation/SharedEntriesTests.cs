using System.Globalization;
using Chorus.Aggregation;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A cold pass lets files with the same keys at the same offsets share one array of targets and one of value offsets,
/// gauge files too: their values, timestamps and the slots that carry their pid stay their own. Reading them so must
/// give what reading each file on its own gives, on the first collection and after one of them grows, changes or is
/// replaced by a file of another layout.
/// </summary>
public sealed class SharedEntriesTests
{
    // Enough files for a cold pass to read ahead (it does from 64 files on).
    private const int Writers = 80;

    [Theory]
    [InlineData("all")]
    [InlineData("mostrecent")]
    [InlineData("livesum")]
    public async Task GaugeFilesWithTheSameKeys_ReadAsEachFileAlone(string mode)
    {
        using var dir = new TempDirectory();
        for (int writer = 0; writer < Writers; writer++)
        {
            Gauge(writer, series: 5, extra: null).WriteTo(dir.File(Name(mode, writer)));
        }

        using MultiProcessDirectory shared = MultiProcessDirectory.Open(dir.Path);
        using MultiProcessDirectory alone = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { ColdReadAhead = false });
        string text = await Task.Run(() => DirectoryFixture.Text(shared)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(shared.Diagnostics.FilesReadAhead >= Writers, $"only {shared.Diagnostics.FilesReadAhead} files went through the read-ahead");
        Assert.Equal(DirectoryFixture.Text(alone), text);
        // Only files whose series carry their pid cache the slots per entry: a livesum or mostrecent gauge file's array of
        // them (one reference per entry, all null) was 2.7 MB of the GitLab-sized host's heap.
        Assert.Equal(mode == "all" ? Writers : 0, shared.Diagnostics.FilesCachingPidSlots);
        if (mode == "all")
        {
            // One series per writer and key, each with its own pid and value.
            Assert.Contains("g{pid=\"1003\",series=\"s4\"} 3004.25", text, StringComparison.Ordinal);
            Assert.Contains("g{pid=\"1017\",series=\"s0\"} 17000.25", text, StringComparison.Ordinal);
        }

        // One file grows past the shared arrays, one changes a value and its timestamp, one is replaced by a file of the
        // other layout with other keys.
        Gauge(3, series: 5, extra: "grown").WriteTo(dir.File(Name(mode, 3)));
        Gauge(7, series: 5, extra: null, shift: 0.5).WriteTo(dir.File(Name(mode, 7)));
        new DbFileBuilder(ValueLayout.Value8).Add("g", "g", 42.0, labels: ("series", "replaced")).WriteTo(dir.File("replacement.tmp"));
        File.Move(dir.File("replacement.tmp"), dir.File(Name(mode, 11)), overwrite: true);

        string next = DirectoryFixture.Text(shared);
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(dir.Path, new MultiProcessDirectoryOptions { ColdReadAhead = false });
        Assert.Equal(DirectoryFixture.Text(fresh), next);
        Assert.Equal(DirectoryFixture.Text(alone), next);
        Assert.Contains("series=\"grown\"", next, StringComparison.Ordinal);
        if (mode != "mostrecent")
        {
            // (The 8-byte layout has no timestamp, and a mostrecent value without one is never the most recent.)
            Assert.Contains("series=\"replaced\"", next, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// prometheus_client and Chorus store timestamp 0 for every gauge but a mostrecent one, so a gauge file keeps an array
    /// of timestamps only once one is not 0 (4.7 MB of zeros on the GitLab-sized host). The livesum files here hold a family
    /// whose last file is a mostrecent one, so their zero timestamps take part in its fold; then one of them stores a
    /// timestamp after all, which the warm reader takes as a fresh one does.
    /// </summary>
    [Fact]
    public void GaugeFilesWhoseTimestampsAreAllZero_KeepNoTimestamps_TillOneIsNot()
    {
        using var dir = new TempDirectory();
        for (int writer = 0; writer < Writers; writer++)
        {
            Zeroed(writer, stamp: 0.0).WriteTo(dir.File(Name("livesum", writer)));
        }

        Gauge(Writers, series: 5, extra: null).WriteTo(dir.File(Name("mostrecent", Writers)));
        using MultiProcessDirectory warm = MultiProcessDirectory.Open(dir.Path);
        Assert.Equal(Fresh(dir.Path), DirectoryFixture.Text(warm));
        Assert.Equal(Fresh(dir.Path), DirectoryFixture.Text(warm));
        Assert.Equal(1, warm.Diagnostics.FilesKeepingTimestamps);

        // A timestamp greater than the mostrecent file's: this file's values win the fold from now on.
        Zeroed(7, stamp: 1e9).WriteTo(dir.File(Name("livesum", 7)));
        Assert.Equal(Fresh(dir.Path), DirectoryFixture.Text(warm));
        Assert.Contains("g{series=\"s0\"} 7000.5", DirectoryFixture.Text(warm), StringComparison.Ordinal);
        Assert.Equal(2, warm.Diagnostics.FilesKeepingTimestamps);

        static DbFileBuilder Zeroed(int writer, double stamp)
        {
            var builder = new DbFileBuilder(ValueLayout.ValueAndTimestamp16);
            for (int s = 0; s < 5; s++)
            {
                builder.Add("g", "g", (writer * 1000) + s + 0.5, timestamp: stamp, labels: ("series", "s" + s.ToString(CultureInfo.InvariantCulture)));
            }

            return builder;
        }
    }

    private static string Fresh(string path)
    {
        using MultiProcessDirectory fresh = MultiProcessDirectory.Open(path, new MultiProcessDirectoryOptions { MaxKeptFiles = 0, ColdReadAhead = false });
        return DirectoryFixture.Text(fresh);
    }

    private static DbFileBuilder Gauge(int writer, int series, string? extra, double shift = 0.0)
    {
        var builder = new DbFileBuilder(ValueLayout.ValueAndTimestamp16);
        for (int s = 0; s < series; s++)
        {
            builder.Add("g", "g", (writer * 1000) + s + 0.25 + shift, timestamp: 100 + writer + shift, labels: ("series", "s" + s.ToString(CultureInfo.InvariantCulture)));
        }

        return extra is null ? builder : builder.Add("g", "g", writer + 0.75, timestamp: 500, labels: ("series", extra));
    }

    private static string Name(string mode, int writer) => $"gauge_{mode}_{1000 + writer}.db";
}
