using Chorus.Internal;
using Chorus.Storage;

namespace Chorus.Tests.Storage;

public sealed class IdentityLeaseTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void SlotHeldOnlyByAProbe_IsWaitedForAndTaken()
    {
        string slot0 = IdentityLease.SlotLockPath(_dir.Path, 0);
        File.WriteAllBytes(slot0, []);

        // A liveness probe (shared lock) on the free slot 0, released a moment later as probes are. A thread of
        // its own, not a pool timer: the pool may be busy with other tests for longer than the lease waits.
        FileLock probe = FileLock.TryAcquireShared(slot0)!;
        var release = new Thread(() =>
        {
            Thread.Sleep(15);
            probe.Dispose();
        });
        release.Start();

        using IdentityLease lease = IdentityLease.Acquire(_dir.Path, new ChorusOptions { Directory = _dir.Path });
        release.Join();

        Assert.Equal("0", lease.Id);
    }

    [Fact]
    public void SlotHeldByAnOwner_IsSkipped()
    {
        using FileLock owner = FileLock.TryAcquireExclusive(IdentityLease.SlotLockPath(_dir.Path, 0))!;

        using IdentityLease lease = IdentityLease.Acquire(_dir.Path, new ChorusOptions { Directory = _dir.Path });

        Assert.Equal("1", lease.Id);
    }
}
