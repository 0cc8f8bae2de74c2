using Chorus.Internal;

namespace Chorus.Tests.Storage;

public sealed class FileLockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("chorus-lock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TryAcquireExclusive_SecondHolder_IsRefusedUntilFirstReleases()
    {
        string path = Path.Combine(_dir, "a.lock");
        using FileLock? first = FileLock.TryAcquireExclusive(path);
        Assert.NotNull(first);
        Assert.True(File.Exists(path));
        Assert.Null(FileLock.TryAcquireExclusive(path));
        Assert.True(FileLock.IsHeldExclusively(path));
        first.Dispose();
        Assert.False(FileLock.IsHeldExclusively(path));
        using FileLock? second = FileLock.TryAcquireExclusive(path);
        Assert.NotNull(second);
    }

    [Fact]
    public void SharedHolders_DoNotBlockEachOther_ButBlockExclusive()
    {
        string path = Path.Combine(_dir, "b.lock");
        File.WriteAllBytes(path, []);
        using FileLock? a = FileLock.TryAcquireShared(path);
        using FileLock? b = FileLock.TryAcquireShared(path);
        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.False(FileLock.IsHeldExclusively(path));
        Assert.Null(FileLock.TryAcquireExclusive(path));
    }

    [Fact]
    public void MissingFile_IsNotHeld_AndSharedAcquireReturnsNull()
    {
        string path = Path.Combine(_dir, "missing.lock");
        Assert.False(FileLock.IsHeldExclusively(path));
        Assert.Null(FileLock.TryAcquireShared(path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void TryAcquireExclusive_InMissingDirectory_ThrowsIOException()
    {
        Assert.Throws<IOException>(() => FileLock.TryAcquireExclusive(Path.Combine(_dir, "nope", "c.lock")));
    }
}
