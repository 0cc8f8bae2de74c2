using Chorus.Compaction;

namespace Chorus.Tests.Compaction;

public sealed class DbFileTotalsTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Of_AFileDeletedWhileTheDirectoryIsListed_IsLeftOutInsteadOfFailing()
    {
        // The soak's failure: a slot's next owner deleted its predecessor's live gauge between the listing and the stat.
        File.WriteAllBytes(Path.Combine(_dir.Path, "counter_1.db"), new byte[300]);
        File.WriteAllBytes(Path.Combine(_dir.Path, "gauge_livesum_1.db"), new byte[500]);
        File.WriteAllBytes(Path.Combine(_dir.Path, "counter_archive.db.chorus-new"), new byte[7]);
        bool deleted = false;

        DbFileTotals totals = DbFileTotals.Of(_dir.Path, name =>
        {
            if (!deleted)
            {
                deleted = true;
                File.Delete(Path.Combine(_dir.Path, name == "counter_1.db" ? "gauge_livesum_1.db" : "counter_1.db"));
            }

            return true;
        });

        // Whichever was listed first survives; the other is gone, and only .db names count.
        Assert.Equal(1, totals.Files);
        Assert.Contains(totals.Bytes, new long[] { 300, 500 });
    }

    [Fact]
    public void Of_LeavesOutNamesTheFilterRejects()
    {
        File.WriteAllBytes(Path.Combine(_dir.Path, "counter_1.db"), new byte[300]);
        File.WriteAllBytes(Path.Combine(_dir.Path, "counter_2.db"), new byte[100]);

        DbFileTotals totals = DbFileTotals.Of(_dir.Path, name => name != "counter_2.db");

        Assert.Equal(new DbFileTotals(1, 300), totals);
    }
}
