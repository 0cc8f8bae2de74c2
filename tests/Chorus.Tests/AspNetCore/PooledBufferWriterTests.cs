using System.Buffers;
using Chorus.AspNetCore.Buffers;

namespace Chorus.Tests.AspNetCore;

public sealed class PooledBufferWriterTests
{
    [Fact]
    public void Write_GrowsAndKeepsEverythingWritten()
    {
        using var writer = new PooledBufferWriter(16, 1 << 20);
        byte[] expected = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();

        for (int offset = 0; offset < expected.Length; offset += 1000)
        {
            writer.Write(expected.AsSpan(offset, 1000));
        }

        Assert.Equal(expected, writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Write_PastTheMaximum_ThrowsEvenWhenThePoolGaveALargerArray()
    {
        using var writer = new PooledBufferWriter(16, 1024);

        writer.Write(new byte[1024]);

        Assert.Throws<ResponseTooLargeException>(() => writer.GetSpan(1));
        Assert.Equal(1024, writer.WrittenCount);
    }

    [Fact]
    public void Truncate_ForgetsTheTail()
    {
        using var writer = new PooledBufferWriter(16, 1024);
        writer.Write("abcdef"u8);

        writer.Truncate(3);

        Assert.Equal("abc"u8.ToArray(), writer.WrittenSpan.ToArray());
    }
}
