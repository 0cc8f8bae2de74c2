using System.Text;
using Chorus.Files;

namespace Chorus.Tests.Files;

public class DbKeyTests
{
    [Fact]
    public void Encode_MatchesPythonJsonDumpsWithSortedLabelsAndAsciiEscapes()
    {
        byte[] key = DbKey.Encode("c", "c_total", ["b", "a"], ["x", "\u00fc"], "help \u00e9");

        Assert.Equal("""["c", "c_total", {"a": "\u00fc", "b": "x"}, "help \u00e9"]""", Encoding.ASCII.GetString(key));
    }

    [Fact]
    public void Encode_EscapesAstralCharactersAsSurrogatePairsAndControlsShort()
    {
        byte[] key = DbKey.Encode("g", "g", ["l"], ["🎉\"\\\n\t\u0001\u007f/"], "");

        Assert.Equal("""["g", "g", {"l": "\ud83c\udf89\"\\\n\t\u0001\u007f/"}, ""]""", Encoding.ASCII.GetString(key));
    }

    [Fact]
    public void TryParse_RoundTripsEncode()
    {
        byte[] key = DbKey.Encode("h", "h_bucket", ["le", "path"], ["+Inf", "日本"], "Help\nwith newline");

        Assert.True(DbKey.TryParse(key, out DbKey? parsed, out _));
        Assert.Equal("h", parsed!.Family);
        Assert.Equal("h_bucket", parsed.Sample);
        Assert.Equal([new("le", "+Inf"), new("path", "日本")], parsed.Labels);
        Assert.Equal("Help\nwith newline", parsed.Help);
    }

    [Fact]
    public void TryParse_ThreeElementKeyGetsLegacyHelp()
    {
        Assert.True(DbKey.TryParse("""["c", "c_total", {}]"""u8, out DbKey? parsed, out _));
        Assert.Equal(DbKey.LegacyHelp, parsed!.Help);
    }

    [Theory]
    [InlineData("""["c", "c_total", {}, "h", 1]""")]
    [InlineData("""["c"]""")]
    [InlineData("""{"a": 1}""")]
    [InlineData("""["c", "c_total", {"a": 1}, "h"]""")]
    [InlineData("not json")]
    [InlineData("""["c", "c_total", {"": "v"}, "h"]""")]
    [InlineData("""["", "c_total", {}, "h"]""")]
    public void TryParse_RejectsMalformedKeys(string text)
    {
        Assert.False(DbKey.TryParse(Encoding.UTF8.GetBytes(text), out _, out string? error));
        Assert.NotNull(error);
    }

    [Fact]
    public void TryParse_ReadsUtf8NamesAsPrometheusClient022WritesThem()
    {
        Assert.True(DbKey.TryParse("""["temp\u00e9rature", "temp\u00e9rature", {"room.name": "k\u00fcche"}, "h"]"""u8, out DbKey? parsed, out _));
        Assert.Equal("température", parsed!.Family);
        Assert.Equal(new KeyValuePair<string, string>("room.name", "küche"), Assert.Single(parsed.Labels));
    }
}
