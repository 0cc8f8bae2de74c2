using System.Buffers;
using Chorus.AspNetCore.Buffers;

namespace Chorus.Tests.AspNetCore;

public sealed class ResponseBuffersTests
{
    private const int Large = 3 << 20;

    [Fact]
    public void Rent_Large_GetsAboutTheSizeAskedFor_NotThePoolsPowerOfTwo()
    {
        var arrays = new ResponseBuffers();

        byte[] array = arrays.Rent(Large + 1);

        Assert.InRange(array.Length, Large + 1, Large + (1 << 16));
    }

    [Fact]
    public void Rent_AfterALargeBodyWasGivenBack_ReusesItsArray()
    {
        var arrays = new ResponseBuffers();
        using (var body = new PooledBufferWriter(Large, int.MaxValue, arrays))
        {
            body.Write(new byte[Large - 100]);
        }

        byte[]? kept = arrays.Spare;

        Assert.NotNull(kept);
        Assert.Same(kept, arrays.Rent(Large));
        Assert.Null(arrays.Spare);
    }

    [Fact]
    public void Rent_MuchSmallerThanTheKeptArray_LeavesItAndAllocatesToSize()
    {
        var arrays = new ResponseBuffers();
        byte[] big = arrays.Rent(4 * Large);
        arrays.Return(big);

        byte[] array = arrays.Rent(Large);

        Assert.NotSame(big, array);
        Assert.InRange(array.Length, Large, Large + (1 << 16));
    }

    [Fact]
    public void Write_GrowingPastThePooledLimit_KeepsEverythingWrittenAndKeepsOnlyTheLastArray()
    {
        var arrays = new ResponseBuffers();
        byte[] expected = Enumerable.Range(0, Large).Select(i => (byte)(i * 7)).ToArray();
        using (var body = new PooledBufferWriter(16, int.MaxValue, arrays))
        {
            for (int offset = 0; offset < expected.Length; offset += 4096)
            {
                body.Write(expected.AsSpan(offset, 4096));
            }

            Assert.Equal(expected, body.WrittenSpan.ToArray());
        }

        Assert.NotNull(arrays.Spare);
        Assert.True(arrays.Spare!.Length >= Large);
    }
}
