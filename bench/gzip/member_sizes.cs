// How long GZipStream at CompressionLevel.Fastest takes over a 26 MB exposition-like body cut into members of several
// sizes: what the gzip stage of a warm GitLab-host scrape costs when nearly every member changed (docs/benchmarks.md).
//   dotnet run -c Release bench/gzip/member_sizes.cs
#:property Optimize=true
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;

var random = new Random(1);
var text = new StringBuilder();
while (text.Length < 26_000_000)
{
    text.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_bucket{{controller=\"c{random.Next(300)}\",action=\"a{random.Next(40)}\",le=\"{random.Next(10)}.5\"}} {random.NextDouble() * 1e6}\n");
}

byte[] body = Encoding.ASCII.GetBytes(text.ToString());
foreach (int part in new[] { 4096, 16384, 43000, 131072, 1 << 20 })
{
    double best = double.MaxValue;
    long compressed = 0;
    for (int repeat = 0; repeat < 5; repeat++)
    {
        var watch = Stopwatch.StartNew();
        compressed = 0;
        var output = new MemoryStream(1 << 20);
        for (int offset = 0; offset < body.Length; offset += part)
        {
            output.SetLength(0);
            using (var zip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                zip.Write(body, offset, Math.Min(part, body.Length - offset));
            }

            compressed += output.Length;
        }

        best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"members of {part,8} bytes: {best,7:F1} ms (best of 5), {(body.Length + part - 1) / part,6} members, {compressed / 1e6:F2} MB out"));
}
