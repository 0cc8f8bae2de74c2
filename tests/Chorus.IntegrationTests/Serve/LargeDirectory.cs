using System.Globalization;
using Chorus.Files;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// A multiprocess directory of many prometheus_client-layout counter files: each holds the shared
/// <c>abuse_requests_total</c> (1 per file, so the merged value is the file count) and a series of its own.
/// Files are written sparse (the zeros after <c>used</c> are a hole), as prometheus_client's grow.
/// </summary>
internal static class LargeDirectory
{
    /// <summary>Writes <paramref name="files"/> files, of workers <paramref name="first"/> on.</summary>
    public static void Write(string directory, int files, int first = 0)
    {
        for (int i = first; i < first + files; i++)
        {
            string worker = i.ToString(CultureInfo.InvariantCulture);
            byte[] bytes = new DbFileBuilder()
                .Add("abuse_requests", "abuse_requests_total", 1, "Requests.")
                .Add("abuse_worker_jobs", "abuse_worker_jobs_total", i, "Jobs per worker.", ("worker", worker))
                .Build();
            int used = DbFormat.ReadUsed(bytes);
            using var file = new FileStream(Path.Combine(directory, $"counter_{100_000 + i}.db"), FileMode.CreateNew, FileAccess.Write);
            file.Write(bytes, 0, used);
            file.SetLength(bytes.Length);
        }
    }
}
