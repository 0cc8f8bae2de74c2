using Chorus.Aggregation;
using Chorus.Tests.Support;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// The first collection of a big directory reads files on a second thread (<c>ColdReadAhead</c>); later
/// collections read them on the caller's thread. Both must see the same data and report the same problems.
/// </summary>
public sealed class ColdReadAheadTests
{
    private const int Files = 150;

    [Fact]
    public async Task ColdPassOverManyFiles_MatchesTheWarmPass_AndReportsBadFilesInPlace()
    {
        using var dir = new TempDirectory();
        double expected = 0;
        for (int i = 0; i < Files; i++)
        {
            // Small files first and big ones later: the read size guessed from the previous file is too small,
            // so the read-ahead has to read the rest (more than 16 KiB) in a second call.
            var builder = new DbFileBuilder(ValueLayout.Value8, capacity: 4096);
            int series = i < Files / 2 ? 2 : 400;
            for (int s = 0; s < series; s++)
            {
                builder.Add("c", "c_total", 1.0 + (i % 7), labels: ("series", s.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                expected += 1.0 + (i % 7);
            }

            builder.WriteTo(dir.File($"counter_{i:D4}.db"));
        }

        // Bad files among them, in listing order: a truncated one, and a FIFO that must not block the reader.
        File.WriteAllBytes(dir.File("counter_0050x.db"), [1, 2, 3]);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", dir.File("counter_0100x.db")))
        {
            Assert.True(mkfifo.WaitForExit(10_000));
        }

        using MultiProcessDirectory source = MultiProcessDirectory.Open(dir.Path);
        var (cold, _, coldReport) = await Task.Run(() => DirectoryFixture.Scrape(source)).WaitAsync(TimeSpan.FromSeconds(30));
        var (warm, _, warmReport) = DirectoryFixture.Scrape(source);

        Assert.Equal(expected, cold.Where(s => s.Key.StartsWith("c_total", StringComparison.Ordinal)).Sum(s => s.Value));
        Assert.Equal(cold, warm);
        Assert.Equal(Files + 2, coldReport.FilesListed);
        Assert.Equal(
            coldReport.Problems.Select(p => (p.FileName, p.Kind)).OrderBy(p => p.FileName),
            [("counter_0050x.db", FileProblemKind.Damaged), ("counter_0100x.db", FileProblemKind.Unreadable)]);
        Assert.Equal(coldReport.Problems.Select(p => (p.FileName, p.Kind)), warmReport.Problems.Select(p => (p.FileName, p.Kind)));
    }
}
