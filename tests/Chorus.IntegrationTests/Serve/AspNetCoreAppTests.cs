using System.Net;
using Chorus.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Serve;

/// <summary>An application wired the documented way (<c>AddChorus</c>, <c>UseChorusHttpMetrics</c>, <c>MapChorusMetrics</c>) in real Kestrel.</summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class AspNetCoreAppTests
{
    [Fact]
    public async Task MapChorusMetrics_ServesTheMergedDirectoryPythonWorkersWrote()
    {
        using var dir = new TempDirectory("serve");
        await PythonWriters.RunToCompletionAsync(dir.Path, workers: 2, iterations: 7);

        await using KestrelTestApp app = await KestrelTestApp.StartAsync(
            builder => builder.Services.AddChorus(options => options.Directory = dir.Path),
            web => web.MapChorusMetrics());
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        string text = await ScrapeClient.GetMetricsTextAsync(client);
        Dictionary<string, double> samples = ExpositionSamples.Parse(text);

        Assert.Equal(7, samples["serve_test_jobs_total{worker=\"1\"}"]);
        Assert.Equal(7, samples["serve_test_jobs_total{worker=\"2\"}"]);
        Assert.Equal(14, ExpositionSamples.Sum(samples, "serve_test_latency_seconds_count"));
        Assert.Equal(Directory.GetFiles(dir.Path, "*.db").Length, samples["chorus_files{state=\"read\"}"]);
    }

    [Fact]
    public async Task UseChorusHttpMetrics_RecordsCountDurationAndInProgressByMethodRouteAndStatus()
    {
        using MetricRegistry registry = Metrics.NewCustomRegistry();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using KestrelTestApp app = await KestrelTestApp.StartAsync(
            builder =>
            {
                builder.Services.AddSingleton(registry);
                builder.Services.AddChorus(options => options.Directory = null);
            },
            web =>
            {
                web.UseChorusHttpMetrics();
                web.MapGet("/users/{id}", (string id) => "user " + id);
                web.MapPost("/users/{id}", (string id) => Results.StatusCode(StatusCodes.Status409Conflict));
                web.MapGet("/boom", string () => throw new InvalidOperationException("boom"));
                web.MapGet("/slow", async () =>
                {
                    entered.TrySetResult();
                    await release.Task;
                    return "done";
                });
                web.MapChorusMetrics();
            });
        using HttpClient client = ScrapeClient.Create(app.BaseAddress);

        (await client.GetAsync(new Uri("/users/1", UriKind.Relative))).Dispose();
        (await client.GetAsync(new Uri("/users/2", UriKind.Relative))).Dispose();
        (await client.PostAsync(new Uri("/users/3", UriKind.Relative), null)).Dispose();
        (await client.GetAsync(new Uri("/no/such/page", UriKind.Relative))).Dispose();
        using HttpResponseMessage boom = await client.GetAsync(new Uri("/boom", UriKind.Relative));
        Task<HttpResponseMessage> slow = client.GetAsync(new Uri("/slow", UriKind.Relative));
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Dictionary<string, double> during = ExpositionSamples.Parse(await ScrapeClient.GetMetricsTextAsync(client));
        release.SetResult();
        (await slow).Dispose();
        Dictionary<string, double> after = ExpositionSamples.Parse(await ScrapeClient.GetMetricsTextAsync(client));

        Assert.Equal(HttpStatusCode.InternalServerError, boom.StatusCode);
        Assert.Equal(1, during["http_requests_in_progress{method=\"GET\",route=\"/slow\"}"]);
        Assert.Equal(0, after["http_requests_in_progress{method=\"GET\",route=\"/slow\"}"]);
        Assert.Equal(2, after["http_requests_total{method=\"GET\",route=\"/users/{id}\",status=\"200\"}"]);
        Assert.Equal(1, after["http_requests_total{method=\"POST\",route=\"/users/{id}\",status=\"409\"}"]);
        Assert.Equal(1, after["http_requests_total{method=\"GET\",route=\"\",status=\"404\"}"]);
        Assert.Equal(1, after["http_requests_total{method=\"GET\",route=\"/boom\",status=\"500\"}"]);
        Assert.Equal(1, after["http_requests_total{method=\"GET\",route=\"/slow\",status=\"200\"}"]);
        Assert.Equal(2, after["http_request_duration_seconds_count{method=\"GET\",route=\"/users/{id}\",status=\"200\"}"]);
        Assert.Equal(2, after["http_request_duration_seconds_bucket{le=\"+Inf\",method=\"GET\",route=\"/users/{id}\",status=\"200\"}"]);
        Assert.DoesNotContain(after.Keys, key => key.Contains("/users/1", StringComparison.Ordinal));
    }
}
