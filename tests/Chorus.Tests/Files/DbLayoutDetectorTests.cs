using Chorus.Files;

namespace Chorus.Tests.Files;

public class DbLayoutDetectorTests
{
    /// <summary>
    /// A file damaged inside its second entry walks one entry in either layout; the right width then stops at
    /// the start of the damaged entry, the wrong one inside a key. Compaction folds such a file into the archive
    /// of the detected layout, so a wrong guess would give prometheus_client 0.16 a 16-byte archive it cannot read.
    /// </summary>
    [Theory]
    [InlineData(ValueLayout.Value8, "cut")]
    [InlineData(ValueLayout.ValueAndTimestamp16, "cut")]
    [InlineData(ValueLayout.Value8, "bad key")]
    [InlineData(ValueLayout.ValueAndTimestamp16, "bad key")]
    public void DamageInTheSecondEntry_StillDetectsTheLayout(ValueLayout layout, string damage)
    {
        var builder = new DbFileBuilder(layout).Add("first", "first_total", 1, "The only complete entry.");
        builder = damage == "cut"
            ? builder.Add("second", "second_total", 2, "Cut by the end of the file.")
            : builder.AddRaw("[\"second\", \"second_total\", {\"broken"u8.ToArray(), 2);
        byte[] file = builder.Build();
        int used = DbFormat.ReadUsed(file);
        byte[] data = damage == "cut" ? file[..(used - 3)] : file;

        DbFileScan scan = DbFileScan.Scan(data, data.Length);

        Assert.Equal(layout, scan.Layout);
        Assert.Single(scan.Entries);
        Assert.True(scan.Damage.IsDamaged);
    }
}
