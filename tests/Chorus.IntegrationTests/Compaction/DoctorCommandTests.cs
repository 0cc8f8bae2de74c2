using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Compaction;

/// <summary><c>chorus doctor</c> on a real prometheus_client directory, piped (plain text).</summary>
public sealed class DoctorCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("doctor");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Doctor_ReportsWritersDamageStaleGaugesCostAndAdvice_PlainWhenPiped()
    {
        CompactionPeers.RunDeadWorker(_dir.Path, 31);
        CompactionPeers.RunDeadWorker(_dir.Path, 32);
        File.WriteAllBytes(Path.Combine(_dir.Path, "counter_999999.db"), [1, 2, 3]);
        using ChildProcess live = CompactionPeers.StartLiveWorker(_dir.Path, 33);
        try
        {
            (int code, string stdout, string stderr) = ChorusCli.Run("doctor", "--dir", _dir.Path);

            Assert.True(code == 0, stderr);
            Assert.DoesNotContain("\u001b[", stdout, StringComparison.Ordinal);
            Assert.Contains("1 alive, 3 dead", stdout, StringComparison.Ordinal);
            Assert.Contains($"files held open by pid {live.Pid}", stdout, StringComparison.Ordinal);
            Assert.Contains("counter_999999.db", stdout, StringComparison.Ordinal);
            Assert.Contains("ShorterThanHeader", stdout, StringComparison.Ordinal);
            Assert.Contains("Stale live gauges", stdout, StringComparison.Ordinal);
            Assert.Contains("Python scrape (estimated)", stdout, StringComparison.Ordinal);
            Assert.Contains("Chorus scrape (measured)", stdout, StringComparison.Ordinal);
            Assert.Contains("Run 'chorus compact --dir", stdout, StringComparison.Ordinal);
            Assert.Contains("chorus_slot", stdout, StringComparison.Ordinal);
        }
        finally
        {
            live.Kill();
        }
    }

    [Fact]
    public void Doctor_MissingDirectory_Exits1()
    {
        (int code, _, string stderr) = ChorusCli.Run("doctor", "--dir", Path.Combine(_dir.Path, "nope"));

        Assert.Equal(1, code);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
    }
}
