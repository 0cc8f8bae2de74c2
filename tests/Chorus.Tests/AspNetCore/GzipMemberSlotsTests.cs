using System.IO.Compression;
using System.Text;
using Chorus.AspNetCore.Http;

namespace Chorus.Tests.AspNetCore;

/// <summary>A slot's gzip members are made on its first gzipped scrape and let go of, arrays told, once no scrape uses them.</summary>
public sealed class GzipMemberSlotsTests
{
    [Fact]
    public void MembersNoScrapeUsesForAWhile_AreLetGoOf_AndTheirRunArraysTold()
    {
        long letGo = 0;
        var slots = new GzipMemberSlots(slots: 2, CompressionLevel.Fastest, bytes => letGo += bytes);
        GzipMemberCache first = slots.ForScrape(0);
        byte[] body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 40_000).Select(i => $"app_value{{i=\"{i}\"}} {i * 7919 % 1000}\n")));
        first.Release(first.Compress(body, body.Length));
        long held = first.RunArrayBytes;

        for (int scrape = 0; scrape < GzipMemberSlots.UnusedScrapes; scrape++)
        {
            Assert.Same(first, slots.Peek(0));
            _ = slots.ForScrape(1);
        }

        _ = slots.ForScrape(1);
        Assert.Null(slots.Peek(0));
        Assert.Equal(1, slots.Kept);
        Assert.True(held > 0);
        Assert.Equal(held, letGo);
        Assert.NotSame(first, slots.ForScrape(0));
    }
}
