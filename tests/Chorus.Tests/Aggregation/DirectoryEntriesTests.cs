using System.Text;
using Chorus.Aggregation;
using Chorus.Internal;

namespace Chorus.Tests.Aggregation;

public class DirectoryEntriesTests
{
    [Fact]
    public void ListsEveryEntryWithItsInodeAndType_AcrossManyReads()
    {
        using var dir = new TempDirectory();

        // Long names, so the entries need several getdents64 calls of the 32 KiB buffer.
        var expected = new Dictionary<string, ulong>(StringComparer.Ordinal);
        for (int i = 0; i < 1500; i++)
        {
            string name = $"counter_{i:D5}_{new string('x', 60)}.db";
            File.WriteAllBytes(dir.File(name), []);
            expected[name] = NativeFile.TryGetId(dir.File(name))!.Value.Inode;
        }

        Directory.CreateDirectory(dir.File("sub.db"));
        File.WriteAllBytes(dir.File(".hidden.db"), []);
        File.WriteAllBytes(dir.File("ünïcode.db"), []);
        expected["ünïcode.db"] = NativeFile.TryGetId(dir.File("ünïcode.db"))!.Value.Inode;

        var seen = new Dictionary<string, (ulong Inode, byte Type)>(StringComparer.Ordinal);
        using (DirectoryEntries entries = DirectoryEntries.TryOpen(dir.Path)!)
        {
            while (entries.MoveNext(out ReadOnlySpan<byte> name, out ulong inode, out byte type))
            {
                seen.Add(Encoding.UTF8.GetString(name), (inode, type));
            }
        }

        foreach ((string name, ulong inode) in expected)
        {
            Assert.Equal(inode, seen[name].Inode);
        }

        Assert.Equal(DirectoryEntries.TypeDirectory, seen["sub.db"].Type);
        Assert.Contains(".hidden.db", seen.Keys);
        Assert.Contains(".", seen.Keys);
        Assert.Equal(expected.Count + 4, seen.Count);
    }

    [Fact]
    public void MissingDirectory_ThrowsAsTheFrameworkDoes()
    {
        using var dir = new TempDirectory();

        Assert.Throws<DirectoryNotFoundException>(() => DirectoryEntries.TryOpen(dir.File("missing")));
        File.WriteAllBytes(dir.File("file"), []);
        Assert.Throws<DirectoryNotFoundException>(() => DirectoryEntries.TryOpen(dir.File("file")));
    }
}
