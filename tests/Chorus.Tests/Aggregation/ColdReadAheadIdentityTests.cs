using Chorus.Aggregation;
using Chorus.Files;
using Chorus.Internal;

namespace Chorus.Tests.Aggregation;

/// <summary>
/// A cold pass takes a regular file's identity from the listing (its inode, the directory's device) instead of an
/// <c>fstat</c> per file, but only where the listing and <c>fstat</c> agree, and it still measures every file its first
/// read does not cover. Whichever way, the identity a slot reports is the one <c>fstat</c> gives.
/// </summary>
public sealed class ColdReadAheadIdentityTests
{
    private const int Files = 80;

    [Fact]
    public void IdentityFromTheListing_IsTheFilesOwn()
    {
        using var dir = new TempDirectory();
        List<FileState> files = WriteFiles(dir);

        Dictionary<FileState, (FileIdentity Identity, long Length)> slots = PrepareAll(dir, files, identityFromListing: true);

        foreach (FileState file in files)
        {
            Assert.Equal(FstatIdentity(file), slots[file].Identity);
        }

        // Files of one size after the first: covered by the first read, so not measured (length unknown).
        Assert.True(slots.Values.Count(slot => slot.Length < 0) > Files / 2, "the listing's identities were not used");
    }

    [Fact]
    public void ListingThatDisagreesWithFstat_IsNotTrusted()
    {
        using var dir = new TempDirectory();
        List<FileState> files = WriteFiles(dir);

        // As on overlayfs, where a file's device is its layer's: the first file's fstat does not match the listing.
        files[0].ListedInode++;
        Dictionary<FileState, (FileIdentity Identity, long Length)> slots = PrepareAll(dir, files, identityFromListing: true);

        Assert.All(files, file => Assert.True(slots[file].Length >= 0, $"{file.FileName} was not measured"));
        Assert.All(files.Skip(1), file => Assert.Equal(FstatIdentity(file), slots[file].Identity));
    }

    [Fact]
    public void WithoutIdentityFromListing_EveryFileIsMeasured()
    {
        using var dir = new TempDirectory();
        List<FileState> files = WriteFiles(dir);

        Dictionary<FileState, (FileIdentity Identity, long Length)> slots = PrepareAll(dir, files, identityFromListing: false);

        Assert.All(files, file => Assert.Equal((FstatIdentity(file), new FileInfo(file.Path).Length), slots[file]));
    }

    private static List<FileState> WriteFiles(TempDirectory dir)
    {
        var files = new List<FileState>();
        for (int i = 0; i < Files; i++)
        {
            var builder = new DbFileBuilder(ValueLayout.Value8, capacity: 4096);
            for (int s = 0; s < 3; s++)
            {
                builder.Add("c", "c_total", s, labels: ("series", s.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            string name = $"counter_{i:D4}.db";
            builder.WriteTo(dir.File(name));
            var file = new FileState(name, dir.File(name)) { ListedRegular = true };
            Assert.True(FileStatus.TryRead(file.Path, out FileStatus status));
            file.ListedInode = status.Inode;
            files.Add(file);
        }

        return files;
    }

    private static Dictionary<FileState, (FileIdentity Identity, long Length)> PrepareAll(TempDirectory dir, List<FileState> files, bool identityFromListing)
    {
        var slots = new Dictionary<FileState, (FileIdentity, long)>();
        using var readAhead = new ColdReadAhead(dir.Path, files, identityFromListing);
        foreach (FileState file in files)
        {
            ColdReadSlot slot = readAhead.Take(file) ?? throw new InvalidOperationException("out of order");
            Assert.Null(slot.Error);
            Assert.True(slot.Regular);
            Assert.Equal(3, slot.Entries.Count);
            slots[file] = (slot.Identity, slot.Length);
            readAhead.Return();
        }

        return slots;
    }

    private static FileIdentity FstatIdentity(FileState file)
    {
        using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(file.Path);
        return FileIdentity.Of(handle, out _);
    }
}
