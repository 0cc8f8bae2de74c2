using Chorus.Cli.Commands;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Cli;

/// <summary>
/// <c>chorus scrape</c> writes the exposition through <see cref="StreamingOutput"/>: every byte must reach the stream
/// once and in order, whatever sizes the writer asks for, and nothing before the buffer fills (so a directory error
/// found at the end of a collection, which leaves every file out, has printed nothing).
/// </summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class StreamingOutputTests
{
    [Fact]
    public void EveryByteReachesTheStreamInOrder_AndNothingBeforeTheBufferFills()
    {
        using var stream = new MemoryStream();
        var output = new StreamingOutput(stream, bufferSize: 64);
        var expected = new List<byte>();
        var random = new Random(11);
        for (int i = 0; i < 500; i++)
        {
            // Mostly small requests, some bigger than the whole buffer.
            int size = i % 50 == 0 ? 64 + random.Next(200) : random.Next(1, 40);
            Span<byte> span = output.GetSpan(size);
            Assert.True(span.Length >= size);
            for (int b = 0; b < size; b++)
            {
                span[b] = (byte)random.Next(256);
                expected.Add(span[b]);
            }

            output.Advance(size);
            if (expected.Count <= 64)
            {
                Assert.Equal(0, stream.Length);
            }
        }

        output.Flush();
        Assert.Equal(expected.ToArray(), stream.ToArray());
        Assert.Equal(expected.Count, output.Flushed);
    }

    [Fact]
    public void AdvancingPastWhatWasHandedOut_Throws()
    {
        var output = new StreamingOutput(new MemoryStream(), bufferSize: 16);
        output.GetSpan(8);
        Assert.Throws<ArgumentOutOfRangeException>(() => output.Advance(17));
    }
}
