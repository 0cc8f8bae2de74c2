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
    public void AFreeArrayLongEnough_IsTaken()
    {
        var buffers = new GzipRunBuffers(spare: 3);
        GzipRunBuffer first = Body(buffers, 1_000_000);
        _ = Body(buffers, 1_000_000);

        Assert.Same(first, Body(buffers, 800_000));
    }

    /// <summary>One body whose members take an array of <paramref name="length"/> bytes; its response is done at once.</summary>
    private static GzipRunBuffer Body(GzipRunBuffers buffers, int length)
    {
        GzipRunBuffer buffer = buffers.Take(length);
        GzipRunBuffers.Release(buffers.Lease([buffer]));
        return buffer;
    }
}
