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

    /// <summary>
    /// A process that another thread forks holds a copy of every descriptor until it execs (close-on-exec or not), so a
    /// lock released only by closing its descriptor stayed held for that moment: the next owner of a slot just given
    /// back took another one (a unit test saw it once under the parallel suite).
    /// </summary>
    [Fact]
    public void Dispose_ReleasesTheLock_WhileACopyOfItsDescriptorIsStillOpen()
    {
        const int DuplicateCloseOnExec = 1030; // F_DUPFD_CLOEXEC
        string path = Path.Combine(_dir.Path, "copied.lock");
        FileLock first = FileLock.TryAcquireExclusive(path)!;
        int copy = Libc.Fcntl(first.Descriptor, DuplicateCloseOnExec, 0);
        Assert.True(copy >= 0);
        try
        {
            first.Dispose();
            Assert.False(FileLock.IsHeldExclusively(path));
            using FileLock? second = FileLock.TryAcquireExclusive(path);
            Assert.NotNull(second);
        }
        finally
        {
            _ = Libc.Close(copy);
        }
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
