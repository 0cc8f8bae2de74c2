using Chorus;
using Chorus.AspNetCore;

// A worker process of a multi-process app: every instance started with the same PROMETHEUS_MULTIPROC_DIR writes its
// own files there, and /metrics on any of them answers with the merged view of all of them.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddChorus();
WebApplication app = builder.Build();

Counter jobs = Metrics.CreateCounter("sample_jobs", "Jobs done by this app, all processes together.");
app.UseChorusHttpMetrics();
app.MapGet("/work", () =>
{
    jobs.Inc();
    return Results.Text("done\n");
});
app.MapChorusMetrics("/metrics");
app.Run();
