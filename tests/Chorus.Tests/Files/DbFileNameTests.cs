using Chorus.Files;
using FsCheck.Xunit;

namespace Chorus.Tests.Files;

/// <summary>
/// <see cref="DbFileName.TryParse"/> must read names as prometheus_client's collector does: its Python splits the
/// name on '_' (<c>parts = os.path.basename(f).split('_')</c>), takes the type from the first part, the gauge mode
/// from the second and the pid from the third minus its last three characters. The reference below is that
/// split, written out; names are built from the pieces that matter.
/// </summary>
public sealed class DbFileNameTests
{
    private static readonly string[] s_pieces =
        ["counter", "gauge", "histogram", "summary", "all", "liveall", "livesum", "mostrecent", "max", "_", "_", "12", "a.b", ".db", ".d", "x", ""];

    [Property(MaxTest = 2000)]
    public bool TryParse_MatchesSplittingOnUnderscores(byte[] picks)
    {
        string fileName = string.Concat(picks.Take(8).Select(p => s_pieces[p % s_pieces.Length])) + (picks.Length % 3 == 0 ? "" : ".db");
        bool parsed = DbFileName.TryParse(fileName, out DbFileName name, out string? error);
        bool expected = Reference(fileName, out DbFileName expectedName, out string? expectedError);
        return parsed == expected && name == expectedName && error == expectedError;
    }

    [Theory]
    [InlineData("counter_123.db", DbFileKind.Counter, null, "123")]
    [InlineData("histogram_a_b.db", DbFileKind.Histogram, null, "a_b")]
    [InlineData("gauge_livesum_4711.db", DbFileKind.Gauge, GaugeMode.LiveSum, "4711")]
    [InlineData("gauge_all_12_34.db", DbFileKind.Gauge, GaugeMode.All, "")]
    public void TryParse_ReadsTypeModeAndIdentity(string fileName, DbFileKind kind, GaugeMode? mode, string identity)
    {
        Assert.True(DbFileName.TryParse(fileName, out DbFileName name, out string? error), error);
        Assert.Equal(new DbFileName(kind, mode, identity), name);
    }

    private static bool Reference(string fileName, out DbFileName name, out string? error)
    {
        name = default;
        error = null;
        if (!fileName.EndsWith(".db", StringComparison.Ordinal))
        {
            error = "not a .db file";
            return false;
        }

        string[] parts = fileName.Split('_');
        DbFileKind? kind = parts[0] switch
        {
            "counter" => DbFileKind.Counter,
            "gauge" => DbFileKind.Gauge,
            "histogram" => DbFileKind.Histogram,
            "summary" => DbFileKind.Summary,
            _ => null,
        };
        if (kind is null)
        {
            error = $"unknown metric type '{parts[0]}' (expected counter, gauge, histogram or summary)";
            return false;
        }

        if (kind != DbFileKind.Gauge)
        {
            if (parts.Length < 2)
            {
                error = "no identity in the name";
                return false;
            }

            name = new DbFileName(kind.Value, null, fileName[(parts[0].Length + 1)..^3]);
            return true;
        }

        if (parts.Length < 3)
        {
            error = "gauge file name has no mode or identity (expected gauge_{mode}_{id}.db)";
            return false;
        }

        if (!GaugeModes.TryParse(parts[1], out GaugeMode mode))
        {
            error = $"unknown gauge mode '{parts[1]}'";
            return false;
        }

        string third = parts[2];
        name = new DbFileName(DbFileKind.Gauge, mode, third.Length >= 3 ? third[..^3] : string.Empty);
        return true;
    }
}
