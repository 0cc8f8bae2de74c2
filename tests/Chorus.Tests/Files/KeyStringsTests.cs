using System.Text;
using Chorus.Files;
using FsCheck.Xunit;

namespace Chorus.Tests.Files;

/// <summary>
/// A reader decodes each key's strings through <see cref="KeyStrings"/>: the same text is one instance, found before any
/// string is made, and a key decodes (or fails) exactly as without it.
/// </summary>
public sealed class KeyStringsTests
{
    private static readonly string[] s_texts = ["c", "c_total", "h", "le", "0.5", "k\u00fcche", "a\"b", "\u00e9", "\ud83d\ude00", "x\\y", "", "\n", new('v', 300)];

    [Fact]
    public void TheSameText_IsOneInstance_HeldInTheOwnersStrings_EscapedOrNot()
    {
        var held = new HashSet<string>(StringComparer.Ordinal) { "c_total" };
        var strings = new KeyStrings(held);

        Assert.True(DbKey.TryParse("""["c", "c_total", {"a": "ab", "b": "x"}, "h"]"""u8, out DbKey? first, out _, strings));
        Assert.True(DbKey.TryParse("""["c", "c_total", {"a": "a\u0062", "b": "ab"}, "h"]"""u8, out DbKey? second, out _, strings));

        Assert.Same(held.Single(s => s == "c_total"), first!.Sample);
        Assert.Same(first.Sample, second!.Sample);
        Assert.Same(first.Family, second.Family);
        Assert.Same(first.Labels[0].Value, second.Labels[0].Value);
        Assert.Same(first.Labels[0].Value, second.Labels[1].Value);
        Assert.Equal(["a", "ab", "b", "c", "c_total", "h", "x"], held.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ALongText_IsDecodedOnItsOwn_AndNotHeld()
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        string value = new('v', 300);
        byte[] key = DbKey.Encode("c", "c_total", ["a"], [value], "h");

        Assert.True(DbKey.TryParse(key, out DbKey? first, out _, new KeyStrings(held)));
        Assert.True(DbKey.TryParse(key, out DbKey? second, out _, new KeyStrings(held)));

        Assert.Equal(value, first!.Labels[0].Value);
        Assert.NotSame(first.Labels[0].Value, second!.Labels[0].Value);
        Assert.DoesNotContain(value, held);
    }

    [Fact]
    public void BytesThatAreNotUtf8_FailAsWithout()
    {
        byte[] key = [.. "[\"c\", \"c_"u8, 0xC3, 0x28, .. "total\", {}, \"h\"]"u8];

        bool without = DbKey.TryParse(key, out _, out string? expected);
        bool with = DbKey.TryParse(key, out _, out string? error, new KeyStrings(new HashSet<string>(StringComparer.Ordinal)));

        Assert.False(without);
        Assert.Equal((without, expected), (with, error));
    }

    [Property(MaxTest = 500)]
    public bool AnyKeys_DecodeAsWithout(byte[][] picks)
    {
        var strings = new KeyStrings(new HashSet<string>(StringComparer.Ordinal));
        foreach (byte[] pick in picks.Take(20))
        {
            string Text(int i) => pick.Length > i ? s_texts[pick[i] % s_texts.Length] : "n";
            byte[] key = pick.Length > 5 && pick[5] % 7 == 0
                ? Encoding.UTF8.GetBytes($"[\"{Text(0)}\", 1]")
                : DbKey.Encode(Text(0), Text(1), [Text(2) + "a", Text(3) + "b"], [Text(3), Text(4)], Text(5));
            bool expected = DbKey.TryParse(key, out DbKey? fresh, out string? expectedError);
            bool parsed = DbKey.TryParse(key, out DbKey? shared, out string? error, strings);
            if (parsed != expected || error != expectedError || (parsed && !SameKey(fresh!, shared!)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameKey(DbKey a, DbKey b) =>
        a.Family == b.Family && a.Sample == b.Sample && a.Help == b.Help && a.Labels.SequenceEqual(b.Labels);
}
