using Chorus.AspNetCore.Http;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// Run arrays are reused from body to body, but one that no body took for a while is let go: arrays sized for bodies
/// unlike the later ones (the first body's, sized by a guess) were held for good.
/// </summary>
public sealed class GzipRunBuffersTests
{
    [Fact]
    public void AFreeArrayNoBodyTakes_IsLetGoAfterAFewBodies()
    {
        var buffers = new GzipRunBuffers(spare: 3);
        GzipRunBuffer small = Body(buffers, 300_000);
        GzipRunBuffer large = Body(buffers, 1_000_000);
        Assert.NotSame(small, large);

        // Bodies too large for the small array: they take the large one and one more, and the small one is let go.
        for (int body = 0; body < 14; body++)
        {
            Assert.NotSame(small, Body(buffers, 1_000_000));
        }

        Assert.Equal(2, buffers.Count);
    }

    [Fact]
    public void TheArraysLetGoOf_AreToldWithTheirBytes()
    {
        long letGo = 0;
        var buffers = new GzipRunBuffers(spare: 3, bytes => letGo += bytes);
        GzipRunBuffer small = Body(buffers, 300_000);
        for (int body = 0; body < 14; body++)
        {
            _ = Body(buffers, 1_000_000);
        }

        Assert.Equal(small.Bytes.Length, letGo);
    }

    [Fact]
    public void AFreeArrayLongEnough_IsTaken()
    {
        var buffers = new GzipRunBuffers(spare: 3);
        GzipRunBuffer first = Body(buffers, 1_000_000);
        _ = Body(buffers, 1_000_000);

        Assert.Same(first, Body(buffers, 800_000));
    }

    [Fact]
    public void AFewBytes_AreNotPutInALargeFreeArray()
    {
        var buffers = new GzipRunBuffers(spare: 3);
        GzipRunBuffer large = Body(buffers, 1_000_000);
        buffers.KeepOnly([]);

        GzipRunBuffer small = buffers.Take(10_000);

        Assert.NotSame(large, small);
        Assert.InRange(small.Bytes.Length, 10_000, 20_000);
        Assert.Same(large, buffers.Take(400_000));
    }

    [Fact]
    public void AnArrayTheLastBodyKept_IsFreeForTheNextBody_WhenThatKeepsNoneOfItsMembers()
    {
        var buffers = new GzipRunBuffers(spare: 3);
        GzipRunBuffer last = buffers.Take(1_000_000);
        GzipRunBuffers.Release(buffers.Lease([last]));

        // Still kept while the next body may reuse its members; free once that body says it reuses none.
        Assert.NotSame(last, buffers.Take(900_000));
        buffers.KeepOnly([]);
        Assert.Same(last, buffers.Take(900_000));
    }

    [Fact]
    public void AnArrayTheNextBodyReuses_OrAResponseSends_StaysKept()
    {
        var buffers = new GzipRunBuffers(spare: 3);
        GzipRunBuffer reused = buffers.Take(1_000_000);
        GzipRunBuffer sent = buffers.Take(1_000_000);
        GzipRunBuffer[] lease = buffers.Lease([reused, sent]);
        GzipRunBuffers.Release([reused]);

        buffers.KeepOnly([reused]);

        GzipRunBuffer taken = buffers.Take(900_000);
        Assert.NotSame(reused, taken);
        Assert.NotSame(sent, taken);
        GzipRunBuffers.Release([sent]);
        Assert.Equal(2, lease.Length);
    }

    /// <summary>One body whose members take an array of <paramref name="length"/> bytes; its response is done at once.</summary>
    private static GzipRunBuffer Body(GzipRunBuffers buffers, int length)
    {
        GzipRunBuffer buffer = buffers.Take(length);
        GzipRunBuffers.Release(buffers.Lease([buffer]));
        return buffer;
    }
}
