using System.Globalization;
using System.Text.Json;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Article;

/// <summary>What <c>samples/uwsgi-app/loadgen.py</c> reports after sending exactly N requests.</summary>
internal sealed record LoadResult(int Sent, int Responses, int Errors, IReadOnlyDictionary<string, int> ByStatus, double Seconds, IReadOnlyList<string> ErrorSamples)
{
    /// <summary>Sends exactly <paramref name="requests"/> GETs (4 threads, a new connection each) and waits for all of them.</summary>
    public static LoadResult Run(string url, int requests, int threads = 4)
    {
        (int exitCode, string stdout, string stderr) = PythonPeer.Run(
            [Path.Combine(RepoPaths.UwsgiAppDirectory, "loadgen.py"), "--url", url,
             "--requests", requests.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(120));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"loadgen.py failed ({exitCode}): {stderr}");
        }

        using JsonDocument json = JsonDocument.Parse(stdout);
        JsonElement root = json.RootElement;
        return new LoadResult(
            root.GetProperty("sent").GetInt32(),
            root.GetProperty("responses").GetInt32(),
            root.GetProperty("errors").GetInt32(),
            root.GetProperty("by_status").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
            root.GetProperty("seconds").GetDouble(),
            root.GetProperty("error_samples").EnumerateArray().Select(e => e.GetString() ?? "").ToList());
    }
}
