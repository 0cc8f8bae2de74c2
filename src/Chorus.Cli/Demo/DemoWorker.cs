using System.Diagnostics;
using System.Globalization;

namespace Chorus.Cli.Demo;

/// <summary>A worker that "serves" simulated requests and records them with the Chorus metrics API.</summary>
internal static class DemoWorker
{
    private static readonly string[] s_routes = ["/", "/api/items", "/api/orders", "/login"];

    public static async Task<int> RunAsync(int maxRequests, int seed, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(ChorusOptions.DirectoryVariable) is null)
        {
            await Console.Error.WriteLineAsync($"chorus demo-worker: {ChorusOptions.DirectoryVariable} is not set; this command is started by 'chorus demo'.").ConfigureAwait(false);
            return 2;
        }

        // The default registry is multiprocess because PROMETHEUS_MULTIPROC_DIR is set: the usual setup.
        Counter requests = Metrics.CreateCounter("demo_requests_total", "Requests served by the demo workers.", new CounterConfiguration { LabelNames = ["route", "status"] });
        Histogram duration = Metrics.CreateHistogram("demo_request_duration_seconds", "Time to serve a request.", new HistogramConfiguration { LabelNames = ["route"], Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025] });
        Gauge inProgress = Metrics.CreateGauge("demo_requests_in_progress", "Requests being served right now (live workers only).", new GaugeConfiguration { Mode = GaugeMode.LiveSum });
        Info worker = Metrics.CreateInfo("demo_worker", "The live demo workers.");
        worker.Set(new Dictionary<string, string>
        {
            ["slot"] = Metrics.DefaultRegistry.Identity ?? "none",
            ["process_id"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        });

        // The supervisor asks a worker to stop early by closing its stdin (Ctrl-C on the demo).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _ = Task.Run(async () =>
        {
            _ = await Console.In.ReadToEndAsync(CancellationToken.None).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
        }, CancellationToken.None);
        cancellationToken = stop.Token;

        var random = new Random(seed);
        int served = 0;
        for (; served < maxRequests && !cancellationToken.IsCancellationRequested; served++)
        {
            string route = s_routes[random.Next(s_routes.Length)];
            int roll = random.Next(100);
            string status = roll < 90 ? "200" : roll < 97 ? "404" : "500";
            long start = Stopwatch.GetTimestamp();
            using (inProgress.TrackInProgress())
            {
                // Simulated work: 0 to 3 ms, so a demo of a few hundred requests takes about a second.
                await Task.Delay(random.Next(4), CancellationToken.None).ConfigureAwait(false);
            }

            duration.WithLabels(route).Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            requests.WithLabels(route, status).Inc();
        }

        Console.WriteLine($"served {served} slot {Metrics.DefaultRegistry.Identity}");
        return 0;
    }
}
