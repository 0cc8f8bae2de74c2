using Chorus.Internal;
using Microsoft.Win32.SafeHandles;

namespace Chorus.Tests.Internal;

/// <summary>
/// A read lease is broken by any writer's open, which signals the holder; the signal must be one the process ignores
/// (SIGIO, the default, ends it). Releasing a lease resets the open file's signal, so a descriptor kept open and leased
/// again (a kept file probed for freezing on two scrapes) must have it set again.
/// </summary>
public sealed class ReadLeaseTests
{
    [Fact]
    public async Task EveryLease_OnAKeptDescriptor_BreaksWithAnIgnoredSignal_AndAWriterStillOpensTheFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("counter_3900001.db");
        File.WriteAllBytes(path, new byte[4096]);
        using SafeFileHandle kept = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        int fd = (int)kept.DangerousGetHandle();

        for (int probe = 0; probe < 3; probe++)
        {
            Assert.Equal(LeaseOutcome.Held, ReadLease.TryAcquire(kept));
            Assert.Equal(ReadLease.SignalUrgent, ReadLease.BreakSignal(fd));
            ReadLease.Release(kept);
        }

        // Held while a writer of this process opens the file: the break signal is ignored and the open proceeds once
        // the lease is given back (it would end the process with SIGIO otherwise).
        Assert.Equal(LeaseOutcome.Held, ReadLease.TryAcquire(kept));
        Task release = Task.Run(async () =>
        {
            await Task.Delay(200);
            ReadLease.Release(kept);
        });
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            writer.WriteByte(1);
        }

        await release.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(LeaseOutcome.WriterPresent, LeaseWhileWriterHolds(path, kept));
    }

    private static LeaseOutcome LeaseWhileWriterHolds(string path, SafeFileHandle kept)
    {
        using var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        return ReadLease.TryAcquire(kept);
    }
}
