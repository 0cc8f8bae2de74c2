using Chorus.AspNetCore.Buffers;
using Chorus.Exposition;

namespace Chorus.Tests.AspNetCore;

public sealed class SegmentedBodyTests
{
    [Fact]
    public void ABody_SaysWhatItIsFor_AndWhetherItLetItsRenderingsGo()
    {
        // What a rendering found still lent names as its holder (CHORUS_DEBUG_STAGE_TIMES).
        var body = new SegmentedBody(1024, int.MaxValue, new ResponseBuffers(), keepsBytes: true, "a preparation's body");
        var lease = new CountedLease();
        body.WriteKept(new byte[32], lease, version: 1);
        Assert.Matches("^a preparation's body made [0-9]+ ms ago$", body.ToString());

        body.Dispose();

        Assert.Equal(1, lease.Released);
        Assert.EndsWith(", disposed", body.ToString(), StringComparison.Ordinal);
    }

    private sealed class CountedLease : IKeptBytesLease
    {
        public int Released { get; private set; }

        public void Release() => Released++;
    }
}
