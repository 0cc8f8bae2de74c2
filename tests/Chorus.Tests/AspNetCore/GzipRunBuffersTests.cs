using Chorus.AspNetCore.Http;

namespace Chorus.Tests.AspNetCore;

/// <summary>
/// Run blocks live on the C heap and are given back as soon as no body keeps them and no response sends them: reused
/// arrays held three bodies' worth on the GitLab-sized host, and dead ones waited for a full collection.
/// </summary>
public sealed class GzipRunBuffersTests
{
    [Fact]
    public void ABlockNoBodyKeeps_IsGivenBackWhenTheNextBodyEnds()
    {
        var buffers = new GzipRunBuffers();
        GzipRunBuffer first = Body(buffers, 300_000);
        Assert.False(first.IsFreed);

        GzipRunBuffer second = Body(buffers, 1_000_000);

        Assert.True(first.IsFreed);
        Assert.False(second.IsFreed);
        Assert.Equal(1, buffers.Count);
    }

    [Fact]
    public void ABlockAResponseStillSends_IsKeptUntilReleased_AndTakenAgainIfLongEnough()
    {
        var buffers = new GzipRunBuffers();
        GzipRunBuffer sending = buffers.Take(1_000_000);
        GzipRunBuffer[] lease = buffers.Lease([sending]);
        _ = Body(buffers, 1_000_000);

        // Kept by no body, but its response is still sending.
        Assert.False(sending.IsFreed);
        Assert.Equal(2, buffers.Count);

        GzipRunBuffers.Release(lease);
        Assert.Same(sending, Body(buffers, 800_000));
    }

    [Fact]
    public void ABlockTheBodyKeeps_IsNeverGivenBack_WhateverItsResponses()
    {
        var buffers = new GzipRunBuffers();
        GzipRunBuffer kept = Body(buffers, 500_000);
        for (int body = 0; body < 3; body++)
        {
            GzipRunBuffers.Release(buffers.Lease([kept]));
        }

        Assert.False(kept.IsFreed);
        kept.SpanFrom(0).Fill(7);
        Assert.Equal(7, kept.Slice(499_999, 1).Span[0]);
    }

    /// <summary>One body whose members take a block of <paramref name="length"/> bytes; its response is done at once.</summary>
    private static GzipRunBuffer Body(GzipRunBuffers buffers, int length)
    {
        GzipRunBuffer buffer = buffers.Take(length);
        GzipRunBuffers.Release(buffers.Lease([buffer]));
        return buffer;
    }
}
