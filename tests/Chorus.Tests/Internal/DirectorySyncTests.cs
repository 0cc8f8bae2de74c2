using Chorus.Internal;

namespace Chorus.Tests.Internal;

/// <summary>
/// A directory's fsync that fails must stop a caller from removing what would repair an undurable rename (compaction
/// deletes its journal after the sync); one that a file system cannot do at all must not stop it.
/// </summary>
public sealed class DirectorySyncTests
{
    [Theory]
    [InlineData(5)] // EIO: the writeback failed
    [InlineData(28)] // ENOSPC
    [InlineData(122)] // EDQUOT
    public void AFailedSync_Throws(int error)
    {
        var thrown = Assert.Throws<IOException>(() => NativeFile.ThrowIfNotSynced("/metrics", error));
        Assert.Contains("Cannot sync directory '/metrics'", thrown.Message, StringComparison.Ordinal);
        Assert.Contains($"errno {error}", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASync_ThatTheFileSystemCannotDo_IsNotAFailure()
    {
        NativeFile.ThrowIfNotSynced("/metrics", Errno.Invalid);
        NativeFile.ThrowIfNotSynced("/metrics", 0);

        // procfs answers a directory's fsync with EINVAL.
        NativeFile.SyncDirectory("/proc");
    }

    [Fact]
    public void ASyncedDirectory_DoesNotThrow()
    {
        using var dir = new TempDirectory();
        NativeFile.SyncDirectory(dir.Path);
    }
}
