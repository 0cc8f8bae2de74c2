using Chorus.Internal;

namespace Chorus.Tests.Storage;

public sealed class FileLockTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TryAcquireExclusive_SecondHolder_IsRefusedUntilFirstReleases()
    {
        string path = Path.Combine(_dir.Path, "a.lock");
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
        string path = Path.Combine(_dir.Path, "b.lock");
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
        string path = Path.Combine(_dir.Path, "missing.lock");
        Assert.False(FileLock.IsHeldExclusively(path));
        Assert.Null(FileLock.TryAcquireShared(path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void TryAcquireExclusive_InMissingDirectory_ThrowsIOException()
    {
        Assert.Throws<IOException>(() => FileLock.TryAcquireExclusive(Path.Combine(_dir.Path, "nope", "c.lock")));
    }
}
