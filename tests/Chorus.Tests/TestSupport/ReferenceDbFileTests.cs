
namespace Chorus.Tests.TestSupport;

/// <summary>
/// The reference reader/writer of the test library agrees with the format document's worked examples and with the
/// files real prometheus_client wrote (the committed vectors), so tests built on it check the product against the format.
/// </summary>
public class ReferenceDbFileTests
{
    [Fact]
    public void TheDocumentsExample_HasItsUsedInBothLayouts()
    {
        // docs/file-format.md and the client_python notes: key ["g", "g", {}, "gh"] is 20 bytes with 8 spaces of padding;
        // 0.16 writes used = 48, newer libraries used = 56.
        byte[] key = ReferenceDbKey.Bytes("g", "g", [], "gh");
        Assert.Equal("""["g", "g", {}, "gh"]""", System.Text.Encoding.ASCII.GetString(key));
        Assert.Equal(48, BitConverter.ToInt32(ReferenceDbFile.Write([(key, 1.0, 0.0)], 8, 64)));
        Assert.Equal(56, BitConverter.ToInt32(ReferenceDbFile.Write([(key, 1.0, 0.0)], 16, 64)));
    }

    [Fact]
    public void Keys_EscapeLikePythonsJsonDumps()
    {
        string text = ReferenceDbKey.Text("f", "f_total", [("z", "日本\"\\\n\t"), ("a", "🎉é\u007f")], "h\u0001");

        Assert.Equal("""["f", "f_total", {"a": "\ud83c\udf89\u00e9\u007f", "z": "\u65e5\u672c\"\\\n\t"}, "h\u0001"]""", text);
    }

    [Fact]
    public void WhatItWrites_ItReadsBack_AndOnlyInThatLayout()
    {
        byte[] file = new DbFileBuilder(ValueLayout.Value8).Add("c", "c_total", 2.5, labels: ("k", "v")).Add("c", "c_total", -1.0).Build();

        (List<ReferenceDbEntry> entries, int width) = ReferenceDbFile.ReadEitherLayout(file);

        Assert.Equal(8, width);
        Assert.Equal([2.5, -1.0], entries.Select(e => e.Value));
        Assert.Throws<InvalidDataException>(() => ReferenceDbFile.Read(file, 16));
    }

    [Fact]
    public void EveryVectorFile_ReadsCleanly_InTheLayoutOfTheLibraryThatWroteIt()
    {
        foreach ((string folder, int width) in new[] { ("v8", 8), ("v16", 16) })
        {
            string[] files = Directory.GetFiles(Path.Combine(RepoPaths.Vectors, folder), "*.db", SearchOption.AllDirectories);
            Assert.NotEmpty(files);
            foreach (string path in files)
            {
                (List<ReferenceDbEntry> entries, int detected) = ReferenceDbFile.ReadEitherLayout(File.ReadAllBytes(path));
                Assert.True(width == detected, $"{path}: read as {detected}-byte values");
                Assert.All(entries, e => Assert.StartsWith("[\"", e.Key, StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public void ADamagedFile_Throws()
    {
        byte[] file = new DbFileBuilder().Add("c", "c_total", 1.0).Build();
        file[12] = (byte)'{';

        Assert.Throws<InvalidDataException>(() => ReferenceDbFile.Read(file, 16));
    }
}
