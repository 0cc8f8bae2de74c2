using System.Globalization;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>
/// <c>chorus serve</c>'s gzip body is a sequence of gzip members, most of them kept from the scrape before: Python's
/// gzip module must read it as the identity body, scrape after scrape while the data changes, and promtool must accept
/// what it decompresses to.
/// </summary>
public sealed class ServeGzipTests
{
    [Theory]
    [InlineData("text/plain;version=0.0.4")]
    [InlineData(ScrapeClient.PrometheusAccept)]
    public async Task PythonGzip_ReadsTheMembersAsTheIdentityBody_WhileTheDataChanges(string accept)
    {
        using var dir = new TempDirectory("serve-gzip");
        // abuse_worker_jobs_total's 500 series make a family big enough to be a member of its own.
        LargeDirectory.Write(dir.Path, 500);
        await PythonWriters.RunToCompletionAsync(dir.Path, workers: 2, iterations: 5);
        using ChorusServeProcess serve = await ChorusServeProcess.StartAsync(dir.Path);
        using HttpClient client = ScrapeClient.Create(serve.BaseAddress);

        for (int round = 0; round < 3; round++)
        {
            (int exitCode, string gunzipped, string stderr) = await PythonPeer.RunScriptAsync("gunzip_scrape.py", serve.MetricsUrl.ToString(), accept);
            using HttpResponseMessage identity = await client.SendAsync(ScrapeClient.Request(HttpMethod.Get, "/metrics", accept, "identity"));
            string plain = await identity.Content.ReadAsStringAsync();

            Assert.True(exitCode == 0, stderr);
            Assert.True(Members(stderr) >= 3, $"expected the body in several members: {stderr}");
            Assert.Equal(WithoutSelfMetrics(plain), WithoutSelfMetrics(gunzipped));
            Assert.Contains("serve_test_jobs_total", gunzipped, StringComparison.Ordinal);
            if (!accept.Contains("openmetrics", StringComparison.Ordinal))
            {
                PromtoolCheck check = await Promtool.CheckMetricsAsync(gunzipped);
                Assert.True(check.ExitCode == 0, check.Describe());
            }

            // The workers' families change before the next scrape; the big family does not.
            await PythonWriters.RunToCompletionAsync(dir.Path, workers: 1, iterations: 3);
        }
    }

    private static int Members(string stderr) =>
        int.Parse(stderr.Split('\n').Single(line => line.StartsWith("members ", StringComparison.Ordinal))["members ".Length..], CultureInfo.InvariantCulture);

    // Chorus's own chorus_* families report each scrape (its duration, bytes read), so two scrapes differ there.
    private static string[] WithoutSelfMetrics(string exposition) =>
        [.. exposition.Split('\n').Where(line => !line.StartsWith("chorus_", StringComparison.Ordinal)
            && !line.StartsWith("# HELP chorus_", StringComparison.Ordinal) && !line.StartsWith("# TYPE chorus_", StringComparison.Ordinal))];
}
