using System.Diagnostics;
using System.IO.Compression;

namespace Chorus.Benchmarks.Scrape;

/// <summary>
/// <c>Chorus.Benchmarks gzip-body-timing BODY [ROUNDS]</c>: how long one core takes to inflate a whole scrape body from
/// its gzip form and to deflate it again at the fastest level, the costs of keeping a family's rendering only as its gzip
/// members (docs/memory-plan.md, step 5). BODY is an exposition as <c>chorus scrape</c> prints it; each round prints one
/// line, the first with cold code and memory.
/// </summary>
internal static class GzipBodyTiming
{
    public static int Run(string[] args)
    {
        if (args.Length is < 1 or > 2 || (args.Length == 2 && !int.TryParse(args[1], out _)))
        {
            Console.Error.WriteLine("usage: Chorus.Benchmarks gzip-body-timing BODY [ROUNDS]");
            return 2;
        }

        byte[] text = File.ReadAllBytes(args[0]);
        int rounds = args.Length == 2 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
        byte[] gzip = Deflate(text, out _);
        byte[] inflated = new byte[text.Length];
        for (int round = 0; round < rounds; round++)
        {
            long started = Stopwatch.GetTimestamp();
            int length = Inflate(gzip, inflated);
            double inflateMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (length != text.Length || !inflated.AsSpan().SequenceEqual(text))
            {
                Console.Error.WriteLine("the body did not come back as it was");
                return 1;
            }

            _ = Deflate(text, out double deflateMs);
            Console.WriteLine($"{text.Length:N0} bytes of text, {gzip.Length:N0} gzipped: inflate {inflateMs:F1} ms, deflate (fastest) {deflateMs:F1} ms");
        }

        return 0;
    }

    private static byte[] Deflate(byte[] text, out double milliseconds)
    {
        long started = Stopwatch.GetTimestamp();
        var compressed = new MemoryStream();
        using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(text);
        }

        milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return compressed.ToArray();
    }

    private static int Inflate(byte[] gzip, byte[] output)
    {
        using var zip = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        int at = 0;
        int read;
        while ((read = zip.Read(output, at, output.Length - at)) > 0)
        {
            at += read;
        }

        return at;
    }
}
